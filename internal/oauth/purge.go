package oauth

import (
	"context"
	"log/slog"
	"time"

	"scopekeeper/ent/authrequest"
	"scopekeeper/ent/refreshtoken"
	"scopekeeper/ent/token"
	"scopekeeper/internal/rule"
)

// purgeChunk bounds the rows one delete statement removes, so the purge never holds SQLite's write
// lock for long.
const purgeChunk = 1000

func (p *Provider) runPurge(ctx context.Context, every time.Duration) {
	defer p.Close()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		p.Purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Purge deletes expired access and refresh tokens and authorization requests of every organisation.
func (p *Provider) Purge(ctx context.Context) (tokens, requests int) {
	all := rule.Bypass(ctx) // housekeeping across organisations
	now := p.now()
	for ctx.Err() == nil {
		ids, err := p.client.Token.Query().Where(token.ExpiresAtLT(now)).Limit(purgeChunk).IDs(all)
		if err == nil && len(ids) > 0 {
			var n int
			n, err = p.client.Token.Delete().Where(token.IDIn(ids...)).Exec(all)
			tokens += n
		}
		if err != nil {
			slog.ErrorContext(ctx, "oauth: purge tokens", "error", err)
			break
		}
		if len(ids) < purgeChunk {
			break
		}
	}
	for ctx.Err() == nil {
		ids, err := p.client.RefreshToken.Query().Where(refreshtoken.ExpiresAtLT(now)).Limit(purgeChunk).IDs(all)
		if err == nil && len(ids) > 0 {
			var n int
			n, err = p.client.RefreshToken.Delete().Where(refreshtoken.IDIn(ids...)).Exec(all)
			tokens += n
		}
		if err != nil {
			slog.ErrorContext(ctx, "oauth: purge refresh tokens", "error", err)
			break
		}
		if len(ids) < purgeChunk {
			break
		}
	}
	for ctx.Err() == nil {
		ids, err := p.client.AuthRequest.Query().Where(authrequest.ExpiresAtLT(now)).Limit(purgeChunk).IDs(all)
		if err == nil && len(ids) > 0 {
			var n int
			n, err = p.client.AuthRequest.Delete().Where(authrequest.IDIn(ids...)).Exec(all)
			requests += n
		}
		if err != nil {
			slog.ErrorContext(ctx, "oauth: purge authorization requests", "error", err)
			break
		}
		if len(ids) < purgeChunk {
			break
		}
	}
	return tokens, requests
}
