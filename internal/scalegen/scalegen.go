// Package scalegen writes generated organisations for measuring the admin API at scale
// (`scopekeeper generate`, `make bench-scale`): one large organisation with one API of many
// scopes and a client per ten scopes, beside many small organisations. Everything goes through
// the ent client with its hooks and privacy rules, as the admin API's own writes do (audit events
// included), in bulk inserts inside transactions of a few thousand rows.
package scalegen

import (
	"context"
	"fmt"

	"scopekeeper/ent"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/store"
	"scopekeeper/internal/viewer"
)

// Spec is what to generate.
type Spec struct {
	Slug      string // the large organisation (its owner is owner@SLUG.test with Password)
	Password  string
	Scopes    int // in the large organisation's one API
	Orgs      int // small organisations beside it; the first gets an owner, small-0@... too
	OrgScopes int // scopes of each small organisation
	// Every organisation has a client per ClientEvery scopes, holding ClientEvery consecutive
	// scopes, so each scope has one client.
	ClientEvery int
	Progress    func(format string, args ...any) // optional
}

// Batch is how many rows one INSERT statement writes; a transaction commits Batch×txBatches rows.
const (
	Batch     = 500
	txBatches = 10
)

// Result names what was made, for the load that follows.
type Result struct {
	OrgID, APIID           int
	Owner                  string // email of the large organisation's owner
	SmallSlug, SmallOwner  string // the first small organisation and its owner
	SmallOrgID, SmallAPIID int
}

// Generate writes spec into db, then gathers the planner's statistics.
func Generate(ctx context.Context, db *store.DB, spec Spec) (Result, error) {
	if spec.ClientEvery <= 0 {
		spec.ClientEvery = 10
	}
	progress := spec.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	var res Result
	res.Owner = "owner@" + spec.Slug + ".test"
	var err error
	if res.OrgID, _, err = orgs.Bootstrap(ctx, db.Client, orgs.Owner{OrgName: spec.Slug, OrgSlug: spec.Slug, Email: res.Owner, Password: spec.Password}); err != nil {
		return res, err
	}
	if res.APIID, err = fill(ctx, db.Client, res.OrgID, spec.Scopes, spec.ClientEvery, progress); err != nil {
		return res, err
	}
	for i := range spec.Orgs {
		slug := fmt.Sprintf("small-%d", i)
		var orgID int
		if i == 0 {
			res.SmallSlug, res.SmallOwner = slug, "owner@"+slug+".test"
			if orgID, _, err = orgs.Bootstrap(ctx, db.Client, orgs.Owner{OrgName: slug, OrgSlug: slug, Email: res.SmallOwner, Password: spec.Password}); err != nil {
				return res, err
			}
			res.SmallOrgID = orgID
		} else {
			org, err := orgs.Create(ctx, db.Client, slug, slug)
			if err != nil {
				return res, err
			}
			orgID = org.ID
		}
		apiID, err := fill(ctx, db.Client, orgID, spec.OrgScopes, spec.ClientEvery, func(string, ...any) {})
		if err != nil {
			return res, err
		}
		if i == 0 {
			res.SmallAPIID = apiID
		}
		if (i+1)%100 == 0 {
			progress("%d small organisations", i+1)
		}
	}
	progress("gathering statistics")
	return res, db.Analyze(ctx)
}

// fill gives an organisation an API with n scopes and a client per every scopes.
func fill(ctx context.Context, client *ent.Client, orgID, n, every int, progress func(string, ...any)) (int, error) {
	ctx = viewer.SystemContext(ctx, orgID)
	api, err := client.API.Create().SetName("generated").SetDisplayName("Generated").
		SetBasePath("/generated").Save(ctx)
	if err != nil {
		return 0, err
	}
	for start := 0; start < n; start += Batch * txBatches {
		end := min(start+Batch*txBatches, n)
		if err := inTx(ctx, client, func(tx *ent.Client) error { return scopes(ctx, tx, api.ID, start, end, every) }); err != nil {
			return 0, err
		}
		if end%100_000 == 0 || end == n {
			progress("%d of %d scopes", end, n)
		}
	}
	return api.ID, nil
}

// scopes creates scopes [start, end) of an API and the clients of those scopes.
func scopes(ctx context.Context, tx *ent.Client, apiID, start, end, every int) error {
	var ids []int
	for b := start; b < end; b += Batch {
		builders := make([]*ent.ScopeCreate, 0, Batch)
		for i := b; i < min(b+Batch, end); i++ {
			builders = append(builders, tx.Scope.Create().SetAPIID(apiID).
				SetName(fmt.Sprintf("generated.item%07d.readonly", i)).
				SetDisplayName(fmt.Sprintf("Item %d", i)).
				SetDescription("Read generated item "+fmt.Sprint(i)+".").
				SetShowInDiscoveryDocument(i%10 == 0))
		}
		made, err := tx.Scope.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return err
		}
		for _, s := range made {
			ids = append(ids, s.ID)
		}
	}
	// Clients hold whole runs of `every` scopes: scope i belongs to client i/every.
	var builders []*ent.OAuthClientCreate
	for i := 0; i < len(ids); i += every {
		c := (start + i) / every
		builders = append(builders, tx.OAuthClient.Create().
			SetClientID(fmt.Sprintf("gen-%d-%d", apiID, c)).SetName(fmt.Sprintf("Client %d", c)).
			SetKind("SERVICE").AddScopeIDs(ids[i:min(i+every, len(ids))]...))
	}
	for b := 0; b < len(builders); b += Batch {
		if _, err := tx.OAuthClient.CreateBulk(builders[b:min(b+Batch, len(builders))]...).Save(ctx); err != nil {
			return err
		}
	}
	return nil
}

func inTx(ctx context.Context, client *ent.Client, f func(*ent.Client) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := f(tx.Client()); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
