package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"mime"
	"net/http"
	"path"
)

// Static files: the console's one stylesheet and htmx, vendored from the
// npm package htmx.org (the version and checksum are in static/VERSIONS and
// checked by a test), so the console needs no build step and no network.
//
//go:embed static/*.js static/*.css
var staticFS embed.FS

// staticETags are the files' checksums, which browsers revalidate against.
var staticETags = func() map[string]string {
	out := map[string]string{}
	entries, _ := staticFS.ReadDir("static")
	for _, e := range entries {
		b, _ := staticFS.ReadFile("static/" + e.Name())
		sum := sha256.Sum256(b)
		out[e.Name()] = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	return out
}()

func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	tag, ok := staticETags[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	b, _ := staticFS.ReadFile("static/" + name)
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	_, _ = w.Write(b)
}
