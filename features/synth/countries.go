package synth

// country is how the world's people of one country look: where their phone
// numbers come from and how they write them, their phones and carriers.
type country struct {
	code     string  // ISO 3166 alpha-2
	cc       string  // calling code
	weight   float64 // share of the world's persons
	trunk    string  // national trunk prefix written before national numbers ("" where none)
	idd      string  // the international prefix dialled from the country
	noPlus   bool    // whether "<cc><number>" without '+' reads right in the country
	prefixes []string
	tail     int   // digits after the prefix
	groups   []int // digit groups of the national significant number when written nationally
	android  float64
	carriers []string
}

// The mobile prefixes are ranges libphonenumber accepts as mobile numbers;
// TestPhonesAreValidMobiles checks every one of them.
var countries = []country{
	{"FR", "33", 0.10, "0", "00", true, []string{"61", "62", "64", "65", "66", "67", "68", "75", "76", "77", "78"}, 7, []int{1, 2, 2, 2, 2}, 0.70, []string{"orange", "sfr", "bouygues", "free"}},
	{"DE", "49", 0.10, "0", "00", false, []string{"151", "152", "170", "171", "172", "173", "175", "176", "177", "178", "179"}, 8, []int{3, 8}, 0.72, []string{"tmobile", "vodafone", "o2"}},
	{"GB", "44", 0.09, "0", "00", true, []string{"7400", "7500", "7800", "7900", "7300"}, 6, []int{4, 6}, 0.52, []string{"vodafone", "ee", "o2", "three"}},
	{"US", "1", 0.16, "1", "011", true, []string{"212", "415", "646", "312", "617", "305", "206", "512"}, 7, []int{3, 3, 4}, 0.45, []string{"verizon", "att", "tmobile"}},
	{"IN", "91", 0.17, "0", "00", true, []string{"98", "99", "97", "96", "90", "70", "93", "94"}, 8, []int{5, 5}, 0.95, []string{"jio", "airtel", "vi"}},
	{"BR", "55", 0.10, "0", "0021", true, []string{"119", "219", "319", "419", "519", "619", "719", "819"}, 8, []int{2, 5, 4}, 0.85, []string{"claro", "vivo", "tim"}},
	{"NG", "234", 0.07, "0", "009", true, []string{"803", "806", "810", "813", "816", "703", "706", "802", "808", "812", "701", "902"}, 7, []int{3, 3, 4}, 0.88, []string{"mtn", "airtel", "glo"}},
	{"ID", "62", 0.09, "0", "009", true, []string{"812", "813", "821", "822", "852", "853", "811"}, 8, []int{3, 4, 4}, 0.90, []string{"telkomsel", "indosat", "xl"}},
	{"ES", "34", 0.06, "", "00", true, []string{"60", "61", "62", "63", "64", "65", "66", "67", "68", "69"}, 7, []int{3, 2, 2, 2}, 0.80, []string{"movistar", "vodafone", "orange"}},
	{"IT", "39", 0.06, "", "00", true, []string{"32", "33", "34", "36", "38", "39"}, 8, []int{3, 3, 4}, 0.75, []string{"tim", "vodafone", "windtre"}},
}
