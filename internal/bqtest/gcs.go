package bqtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The server also speaks the part of Cloud Storage's JSON API a temp
// location needs — object uploads (multipart and resumable), deletes and
// gets — so a sink can stage shards in gs:// and load them by URI. Point
// the storage client at it with STORAGE_EMULATOR_HOST=GCSHost().

// GCSHost is the host:port for STORAGE_EMULATOR_HOST.
func (s *Server) GCSHost() string { return strings.TrimPrefix(s.URL, "http://") }

// Objects lists the stored objects' gs:// URIs.
func (s *Server) Objects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.objects {
		out = append(out, "gs://"+k)
	}
	return out
}

// Object returns an object's bytes and whether it exists.
func (s *Server) Object(uri string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.objects[strings.TrimPrefix(uri, "gs://")]
	return b, ok
}

func (s *Server) isGCS(path string) bool {
	return strings.HasPrefix(path, "/storage/v1/") || strings.HasPrefix(path, "/upload/storage/v1/")
}

func objectJSON(bucket, name string, size int) map[string]any {
	return map[string]any{"kind": "storage#object", "bucket": bucket, "name": name, "size": strconv.Itoa(size),
		"generation": "1", "metageneration": "1", "id": bucket + "/" + name + "/1"}
}

func (s *Server) serveGCS(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	s.mu.Lock()
	s.calls["gcs "+r.Method]++
	s.mu.Unlock()
	switch {
	case strings.HasPrefix(path, "/upload/storage/v1/b/") && r.Method == http.MethodPost:
		bucket := strings.TrimSuffix(strings.TrimPrefix(path, "/upload/storage/v1/b/"), "/o")
		switch r.URL.Query().Get("uploadType") {
		case "multipart":
			_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil {
				writeError(w, errf(400, "invalid", "content type: %v", err))
				return
			}
			mr := multipart.NewReader(r.Body, params["boundary"])
			meta, err := mr.NextPart()
			if err != nil {
				writeError(w, errf(400, "invalid", "no metadata part"))
				return
			}
			var obj struct {
				Name string `json:"name"`
			}
			json.NewDecoder(meta).Decode(&obj)
			if obj.Name == "" {
				obj.Name = r.URL.Query().Get("name")
			}
			data, err := mr.NextPart()
			if err != nil {
				writeError(w, errf(400, "invalid", "no data part"))
				return
			}
			b, _ := io.ReadAll(data)
			s.putObject(bucket, obj.Name, b)
			writeJSON(w, objectJSON(bucket, obj.Name, len(b)))
		case "resumable":
			var obj struct {
				Name string `json:"name"`
			}
			json.NewDecoder(r.Body).Decode(&obj)
			if obj.Name == "" {
				obj.Name = r.URL.Query().Get("name")
			}
			s.mu.Lock()
			s.nextJob++
			id := strconv.Itoa(s.nextJob)
			s.uploads[id] = bucket + "/" + obj.Name
			s.mu.Unlock()
			w.Header().Set("Location", s.URL+"/upload/storage/v1/b/"+bucket+"/o?uploadType=resumable&upload_id="+id)
			w.WriteHeader(http.StatusOK)
		default:
			writeError(w, errf(400, "invalid", "uploadType %q", r.URL.Query().Get("uploadType")))
		}
	case strings.HasPrefix(path, "/upload/storage/v1/b/") && r.Method == http.MethodPut:
		id := r.URL.Query().Get("upload_id")
		s.mu.Lock()
		key, ok := s.uploads[id]
		s.mu.Unlock()
		if !ok {
			writeError(w, errf(404, "notFound", "no upload %s", id))
			return
		}
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.partial[id] = append(s.partial[id], b...)
		all := s.partial[id]
		s.mu.Unlock()
		// "bytes a-b/total" or "bytes */total": the last chunk names the total.
		cr := r.Header.Get("Content-Range")
		if i := strings.LastIndex(cr, "/"); i >= 0 && cr[i+1:] != "*" {
			bucket, name, _ := strings.Cut(key, "/")
			s.putObject(bucket, name, all)
			writeJSON(w, objectJSON(bucket, name, len(all)))
			return
		}
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", len(all)-1))
		w.WriteHeader(308)
	case strings.HasPrefix(path, "/storage/v1/b/"):
		rest := strings.TrimPrefix(path, "/storage/v1/b/")
		bucket, obj, _ := strings.Cut(rest, "/o/")
		name, _ := url.PathUnescape(obj)
		s.mu.Lock()
		b, ok := s.objects[bucket+"/"+name]
		if ok && r.Method == http.MethodDelete {
			delete(s.objects, bucket+"/"+name)
		}
		s.mu.Unlock()
		switch {
		case !ok:
			writeError(w, errf(404, "notFound", "No such object: %s/%s", bucket, name))
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Query().Get("alt") == "media":
			w.Write(b)
		default:
			writeJSON(w, objectJSON(bucket, name, len(b)))
		}
	default:
		writeError(w, errf(404, "notFound", "no such storage method: %s %s", r.Method, path))
	}
}

func (s *Server) putObject(bucket, name string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[bucket+"/"+name] = b
}

// readURIs concatenates the objects of gs:// URIs (no wildcards); the
// caller holds s.mu.
func (s *Server) readURIs(uris []string) ([]byte, *apiError) {
	var out []byte
	for _, u := range uris {
		b, ok := s.objects[strings.TrimPrefix(u, "gs://")]
		if !ok {
			return nil, errf(404, "notFound", "Not found: URI %s", u)
		}
		out = append(out, b...)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			out = append(out, '\n')
		}
	}
	return out, nil
}
