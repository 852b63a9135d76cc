package bqtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// The server also speaks the part of Cloud Storage's API that sosie's
// files in gs:// need — object uploads (multipart and resumable), gets,
// deletes, copies (rewrites) and listings by prefix (JSON API), and reads of object bytes
// (XML API, GET or HEAD /bucket/object) — so inputs, outputs and temp
// shards can live in gs:// in tests. Point the storage client at it with
// STORAGE_EMULATOR_HOST=GCSHost().

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
	return strings.HasPrefix(path, "/storage/v1/") || strings.HasPrefix(path, "/upload/storage/v1/") || s.isXMLRead(path)
}

// isXMLRead says whether path is an object read of the XML API,
// /bucket/object: any path BigQuery's API does not start with.
func (s *Server) isXMLRead(path string) bool {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return first != "" && first != "projects" && first != "bigquery" && first != "upload" && first != "storage"
}

// PutObject stores an object, as an upload would.
func (s *Server) PutObject(uri string, b []byte) {
	bucket, name, _ := strings.Cut(strings.TrimPrefix(uri, "gs://"), "/")
	s.putObject(bucket, name, b)
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
	case s.isXMLRead(path) && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		bucket, name, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		s.mu.Lock()
		b, ok := s.objects[bucket+"/"+name]
		s.mu.Unlock()
		if !ok {
			http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Goog-Generation", "1")
		w.Header().Set("X-Goog-Metageneration", "1")
		w.Header().Set("X-Goog-Stored-Content-Length", strconv.Itoa(len(b)))
		if r.Method == http.MethodGet {
			w.Write(b)
		}
	case strings.HasPrefix(path, "/storage/v1/b/") && strings.HasSuffix(path, "/o") && r.Method == http.MethodGet:
		bucket := strings.TrimSuffix(strings.TrimPrefix(path, "/storage/v1/b/"), "/o")
		prefix := r.URL.Query().Get("prefix")
		s.mu.Lock()
		var names []string
		for k := range s.objects {
			if b, name, _ := strings.Cut(k, "/"); b == bucket && strings.HasPrefix(name, prefix) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		items := []map[string]any{}
		for _, n := range names {
			items = append(items, objectJSON(bucket, n, len(s.objects[bucket+"/"+n])))
		}
		s.mu.Unlock()
		writeJSON(w, map[string]any{"kind": "storage#objects", "items": items})
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
	case strings.HasPrefix(path, "/storage/v1/b/") && strings.Contains(path, "/rewriteTo/b/") && r.Method == http.MethodPost:
		// A copy (the storage client's Copier, and so Beam's Rename).
		src, dst, _ := strings.Cut(strings.TrimPrefix(path, "/storage/v1/b/"), "/rewriteTo/b/")
		sb, so, _ := strings.Cut(src, "/o/")
		db, do, _ := strings.Cut(dst, "/o/")
		so, _ = url.PathUnescape(so)
		do, _ = url.PathUnescape(do)
		s.mu.Lock()
		b, ok := s.objects[sb+"/"+so]
		if ok {
			s.objects[db+"/"+do] = append([]byte(nil), b...)
		}
		s.mu.Unlock()
		if !ok {
			writeError(w, errf(404, "notFound", "No such object: %s/%s", sb, so))
			return
		}
		writeJSON(w, map[string]any{"kind": "storage#rewriteResponse", "totalBytesRewritten": strconv.Itoa(len(b)),
			"objectSize": strconv.Itoa(len(b)), "done": true, "resource": objectJSON(db, do, len(b))})
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
