// Package frontend embeds the built console (frontend/dist, made by `npm run build`).
package frontend

import "embed"

// Dist holds the console's build output; only a placeholder until the console is built.
//
//go:embed all:dist
var Dist embed.FS
