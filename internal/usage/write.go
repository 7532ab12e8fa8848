package usage

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"scopekeeper/ent"
	"scopekeeper/ent/apikey"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/scope"
	"scopekeeper/ent/scopeusage"
	"scopekeeper/internal/viewer"
)

// rowsPerStatement keeps an upsert's parameters (6 per row) well under SQLite's and PostgreSQL's limits.
const rowsPerStatement = 500

// Write stores recs in one transaction, one upsert per batch of rows. Each stored time becomes the
// later of what was stored and what was recorded, so several server processes sharing a database
// never move a time backwards. Pairs whose scope, client or key no longer exists are not written
// and are returned as gone.
func Write(ctx context.Context, client *ent.Client, recs []Record) (gone []Key, err error) {
	if len(recs) == 0 {
		return nil, nil
	}
	byOrg := map[int][]Record{}
	for _, r := range recs {
		byOrg[r.Org] = append(byOrg[r.Org], r)
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	for org, list := range byOrg {
		sys := viewer.SystemContext(ctx, org)
		exists, err := existing(sys, tx, list)
		if err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		var clients, keys []*ent.ScopeUsageCreate
		for _, r := range list {
			if !exists(r.Key) {
				gone = append(gone, r.Key)
				continue
			}
			c := tx.ScopeUsage.Create().SetScopeID(r.Scope).
				SetNillableLastGrantedAt(nonZero(r.Granted)).SetNillableLastUsedAt(nonZero(r.Used))
			if r.Kind == Client {
				clients = append(clients, c.SetClientID(r.Cred))
			} else {
				keys = append(keys, c.SetAPIKeyID(r.Cred))
			}
		}
		for _, part := range []struct {
			creates []*ent.ScopeUsageCreate
			column  string
		}{{clients, scopeusage.FieldClientID}, {keys, scopeusage.FieldAPIKeyID}} {
			for c := range chunks(part.creates, rowsPerStatement) {
				err := tx.ScopeUsage.CreateBulk(c...).OnConflict(
					sql.ConflictColumns(scopeusage.FieldScopeID, part.column),
					sql.ConflictWhere(sql.NotNull(part.column)), // the partial unique index's condition
					sql.ResolveWith(keepLatest),
				).Exec(sys)
				if err != nil {
					_ = tx.Rollback()
					return nil, fmt.Errorf("usage: write: %w", err)
				}
			}
		}
	}
	return gone, tx.Commit()
}

// keepLatest sets each time to the later of the stored and the new one, either possibly NULL.
func keepLatest(u *sql.UpdateSet) {
	greatest := "GREATEST"
	if u.Dialect() == dialect.SQLite {
		greatest = "MAX" // SQLite's scalar max
	}
	for _, col := range []string{scopeusage.FieldLastGrantedAt, scopeusage.FieldLastUsedAt} {
		stored, recorded := u.Table().C(col), sql.Dialect(u.Dialect()).Table("excluded").C(col)
		u.Set(col, sql.Expr(fmt.Sprintf("%s(COALESCE(%s, %s), COALESCE(%s, %s))", greatest, stored, recorded, recorded, stored)))
	}
}

// existing reports which of the records' scopes, clients and keys still exist in the organisation.
func existing(ctx context.Context, tx *ent.Tx, recs []Record) (func(Key) bool, error) {
	var scopeIDs, clientIDs, keyIDs []int
	for _, r := range recs {
		scopeIDs = append(scopeIDs, r.Scope)
		if r.Kind == Client {
			clientIDs = append(clientIDs, r.Cred)
		} else {
			keyIDs = append(keyIDs, r.Cred)
		}
	}
	ids := func(all []int, query func([]int) ([]int, error)) (map[int]bool, error) {
		found := map[int]bool{}
		for c := range chunks(dedupe(all), 900) {
			got, err := query(c)
			if err != nil {
				return nil, err
			}
			for _, id := range got {
				found[id] = true
			}
		}
		return found, nil
	}
	scopes, err := ids(scopeIDs, func(c []int) ([]int, error) { return tx.Scope.Query().Where(scope.IDIn(c...)).IDs(ctx) })
	if err != nil {
		return nil, err
	}
	clients, err := ids(clientIDs, func(c []int) ([]int, error) {
		return tx.OAuthClient.Query().Where(oauthclient.IDIn(c...)).IDs(ctx)
	})
	if err != nil {
		return nil, err
	}
	keys, err := ids(keyIDs, func(c []int) ([]int, error) { return tx.APIKey.Query().Where(apikey.IDIn(c...)).IDs(ctx) })
	if err != nil {
		return nil, err
	}
	return func(k Key) bool {
		if !scopes[k.Scope] {
			return false
		}
		if k.Kind == Client {
			return clients[k.Cred]
		}
		return keys[k.Cred]
	}, nil
}

func nonZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func dedupe(ids []int) []int {
	seen := make(map[int]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// chunks yields s in pieces of at most n.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			c := s[:min(n, len(s))]
			s = s[len(c):]
			if !yield(c) {
				return
			}
		}
	}
}
