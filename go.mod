module github.com/sosie-dev/sosie

go 1.26

require (
	github.com/nyaruka/phonenumbers v1.8.1
	github.com/rs/zerolog v1.35.1
	gonum.org/v1/gonum v0.17.0
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	golang.org/x/sys v0.30.0 // indirect
	golang.org/x/text v0.23.0 // indirect
	golang.org/x/tools v0.30.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
