// Package console serves the embedded single-page console: hashed assets with long cache lifetimes,
// index.html for every client-side route, and a clear page when the console was not built.
package console

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Scopekeeper</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto">
<h1>The console has not been built</h1>
<p>This binary was built without the console. Run <code>make run</code> (or <code>npm ci &amp;&amp; npm run build</code>,
then <code>go build</code>) to include it. The GraphQL API at <code>/graphql</code> and the OAuth endpoints work without it.</p>
</body></html>`

// Handler serves dist, the console's build output.
func Handler(dist fs.FS) http.Handler {
	index, err := fs.ReadFile(dist, "index.html")
	files := http.FileServerFS(dist)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(notBuilt))
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p != "" && p != "index.html" {
			if st, statErr := fs.Stat(dist, p); statErr == nil && !st.IsDir() {
				if strings.HasPrefix(p, "assets/") {
					// Vite puts a content hash in every asset's name.
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
			if strings.HasPrefix(p, "assets/") {
				http.NotFound(w, r)
				return
			}
		}
		writePage(w, index)
	})
}

// writePage sends one of the built HTML pages. Mantine and GraphiQL's editor set inline styles;
// scripts, workers and fonts come only from the build's own assets, so nothing loads from another origin.
func writePage(w http.ResponseWriter, page []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	_, _ = w.Write(page)
}

// Page serves the built page name from dist (GraphiQL's graphiql.html), or the not-built page.
func Page(dist fs.FS, name string) http.Handler {
	page, err := fs.ReadFile(dist, name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(notBuilt))
			return
		}
		writePage(w, page)
	})
}
