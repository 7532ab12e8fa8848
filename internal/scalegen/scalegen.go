// Package scalegen writes generated organisations for measuring the admin API at scale
// (`scopekeeper generate`, `make bench-scale`): one large organisation with one API of many
// scopes and a client per ten scopes, beside many small organisations. Organisations, owners and
// APIs go through the ent client with its hooks and privacy rules; scopes, clients and their audit
// events through ent's bulk inserts, in transactions of a few thousand rows.
package scalegen

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"entgo.io/ent/schema/field"
	"golang.org/x/sync/errgroup"

	"scopekeeper/ent"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/access"
	"scopekeeper/internal/audit"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/scopecount"
	"scopekeeper/internal/scopename"
	"scopekeeper/internal/scopesearch"
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

// Generate writes spec into db (with the scope-name index paused, then filled once), then gathers
// the planner's statistics.
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
	if err := scopesearch.Pause(ctx, db.SQL, db.Dialect); err != nil {
		return res, err
	}
	if err := scopecount.Pause(ctx, db.SQL, db.Dialect); err != nil {
		return res, err
	}
	if res.APIID, err = fill(ctx, db, res.OrgID, spec.Scopes, spec.ClientEvery, progress); err != nil {
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
		apiID, err := fill(ctx, db, orgID, spec.OrgScopes, spec.ClientEvery, func(string, ...any) {})
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
	progress("filling the scope-name index")
	if err := scopesearch.Install(ctx, db.SQL, db.Dialect); err != nil {
		return res, err
	}
	progress("counting every API's scopes")
	if err := scopecount.Install(ctx, db.SQL, db.Dialect); err != nil {
		return res, err
	}
	progress("gathering statistics")
	return res, db.Analyze(ctx)
}

// fill gives an organisation an API with n scopes and a client per every scopes. The API is made
// through the ent client, hooks and all; the scopes, clients, their links and their audit events
// are inserted in bulk with ent's SQL graph (sqlgraph.BatchCreate, the code generated creates run
// once their hooks are done) beside the per-row hooks, which would look the organisation up and
// write an audit event per row. What the hooks would check holds by construction (valid, unique
// names; one organisation), and what they would set is set here (the name key, the organisation).
func fill(ctx context.Context, db *store.DB, orgID, n, every int, progress func(string, ...any)) (int, error) {
	ctx = viewer.SystemContext(ctx, orgID)
	api, err := db.Client.API.Create().SetName("generated").SetDisplayName("Generated").
		SetBasePath("/generated").Save(ctx)
	if err != nil {
		return 0, err
	}
	drv := entsql.OpenDB(db.Dialect, db.SQL)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(loaders(db.Dialect))
	var done atomic.Int64
	for start := 0; start < n; start += Batch * txBatches {
		end := min(start+Batch*txBatches, n)
		g.Go(func() error {
			tx, err := drv.Tx(gctx)
			if err != nil {
				return err
			}
			if err := scopes(gctx, txDriver{tx, db.Dialect}, orgID, api.ID, start, end, every); err != nil {
				tx.Rollback()
				return err
			}
			if err := tx.Commit(); err != nil {
				return err
			}
			if d := int(done.Add(int64(end - start))); d/100_000 > (d-(end-start))/100_000 || d == n {
				progress("%d of %d scopes", d, n)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	// Like every committed change, so that servers on this database read the organisation again.
	return api.ID, access.RecordChange(ctx, db.Client, orgID)
}

// loaders is how many of fill's transactions run at once: on PostgreSQL two, so that one builds
// its rows and audit events (half the time of a load, in the generator) while the server writes
// the other's; SQLite takes one writer at a time.
func loaders(dia string) int {
	if dia == dialect.Postgres {
		return 2
	}
	return 1
}

// scopes creates scopes [start, end) of an API, the clients of those scopes and an audit event
// for each, in tx.
func scopes(ctx context.Context, tx dialect.Driver, orgID, apiID, start, end, every int) error {
	now := time.Now()
	events := ent.NewClient(ent.Driver(tx)).AuditEvent
	var made []*ent.Scope
	for b := start; b < end; b += Batch {
		batch := make([]*ent.Scope, 0, Batch)
		specs := make([]*sqlgraph.CreateSpec, 0, Batch)
		for i := b; i < min(b+Batch, end); i++ {
			name := fmt.Sprintf("generated.item%07d.readonly", i)
			s := &ent.Scope{OrganisationID: orgID, CreatedAt: now, UpdatedAt: now, Name: name,
				NameKey: scopename.Key(name), DisplayName: fmt.Sprintf("Item %d", i),
				Description: "Read generated item " + fmt.Sprint(i) + ".", ShowInDiscoveryDocument: i%10 == 0,
				APIID: apiID}
			batch = append(batch, s)
			specs = append(specs, scopeSpec(s))
		}
		if err := sqlgraph.BatchCreate(ctx, tx, &sqlgraph.BatchCreateSpec{Nodes: specs}); err != nil {
			return err
		}
		for i, spec := range specs {
			batch[i].ID = int(spec.ID.Value.(int64))
		}
		if err := audited(ctx, events, orgID, ent.TypeScope, len(batch), func(i int) (int, map[string]any) {
			return batch[i].ID, audit.Snapshot(batch[i])
		}); err != nil {
			return err
		}
		made = append(made, batch...)
	}
	// Clients hold whole runs of `every` scopes: scope i belongs to client i/every.
	var clients []*ent.OAuthClient
	var holds [][]int
	for i := 0; i < len(made); i += every {
		c := (start + i) / every
		clients = append(clients, &ent.OAuthClient{OrganisationID: orgID, CreatedAt: now, UpdatedAt: now,
			ClientID: fmt.Sprintf("gen-%d-%d", apiID, c), Name: fmt.Sprintf("Client %d", c), Kind: "SERVICE",
			Enabled: true, RefreshTokens: true, RequirePKCE: true})
		var ids []int
		for _, s := range made[i:min(i+every, len(made))] {
			ids = append(ids, s.ID)
		}
		holds = append(holds, ids)
	}
	for b := 0; b < len(clients); b += Batch {
		batch := clients[b:min(b+Batch, len(clients))]
		specs := make([]*sqlgraph.CreateSpec, len(batch))
		for i, c := range batch {
			specs[i] = clientSpec(c, holds[b+i])
		}
		if err := sqlgraph.BatchCreate(ctx, tx, &sqlgraph.BatchCreateSpec{Nodes: specs}); err != nil {
			return err
		}
		for i, spec := range specs {
			batch[i].ID = int(spec.ID.Value.(int64))
		}
		if err := audited(ctx, events, orgID, ent.TypeOAuthClient, len(batch), func(i int) (int, map[string]any) {
			after := audit.Snapshot(batch[i])
			after["added_scopes"] = holds[b+i]
			return batch[i].ID, after
		}); err != nil {
			return err
		}
	}
	return nil
}

// audited writes the events audit.Hook would have written for creating n rows: row(i) gives row
// i's ID and snapshot (with the edges the create linked, as the hook adds them).
func audited(ctx context.Context, events *ent.AuditEventClient, orgID int, typ string, n int, row func(int) (int, map[string]any)) error {
	builders := make([]*ent.AuditEventCreate, n)
	for i := range n {
		id, after := row(i)
		builders[i] = events.Create().SetOrganisationID(orgID).SetActor("system").SetAction(audit.ActionCreate).
			SetTargetType(typ).SetTargetID(strconv.Itoa(id)).SetAfter(after)
	}
	return events.CreateBulk(builders...).Exec(ctx)
}

func scopeSpec(s *ent.Scope) *sqlgraph.CreateSpec {
	spec := sqlgraph.NewCreateSpec(scope.Table, sqlgraph.NewFieldSpec(scope.FieldID, field.TypeInt))
	spec.SetField(scope.FieldOrganisationID, field.TypeInt, s.OrganisationID)
	spec.SetField(scope.FieldCreatedAt, field.TypeTime, s.CreatedAt)
	spec.SetField(scope.FieldUpdatedAt, field.TypeTime, s.UpdatedAt)
	spec.SetField(scope.FieldName, field.TypeString, s.Name)
	spec.SetField(scope.FieldNameKey, field.TypeString, s.NameKey)
	spec.SetField(scope.FieldDisplayName, field.TypeString, s.DisplayName)
	spec.SetField(scope.FieldDescription, field.TypeString, s.Description)
	spec.SetField(scope.FieldRequired, field.TypeBool, s.Required)
	spec.SetField(scope.FieldEmphasize, field.TypeBool, s.Emphasize)
	spec.SetField(scope.FieldShowInDiscoveryDocument, field.TypeBool, s.ShowInDiscoveryDocument)
	spec.SetField(scope.FieldDeprecated, field.TypeBool, s.Deprecated)
	spec.SetField(scope.FieldBuiltIn, field.TypeBool, s.BuiltIn)
	spec.SetField(scope.FieldAPIID, field.TypeInt, s.APIID)
	return spec
}

func clientSpec(c *ent.OAuthClient, scopeIDs []int) *sqlgraph.CreateSpec {
	spec := sqlgraph.NewCreateSpec(oauthclient.Table, sqlgraph.NewFieldSpec(oauthclient.FieldID, field.TypeInt))
	spec.SetField(oauthclient.FieldOrganisationID, field.TypeInt, c.OrganisationID)
	spec.SetField(oauthclient.FieldCreatedAt, field.TypeTime, c.CreatedAt)
	spec.SetField(oauthclient.FieldUpdatedAt, field.TypeTime, c.UpdatedAt)
	spec.SetField(oauthclient.FieldClientID, field.TypeString, c.ClientID)
	spec.SetField(oauthclient.FieldName, field.TypeString, c.Name)
	spec.SetField(oauthclient.FieldDescription, field.TypeString, c.Description)
	spec.SetField(oauthclient.FieldKind, field.TypeEnum, c.Kind)
	spec.SetField(oauthclient.FieldAllowUncategorizedRead, field.TypeBool, c.AllowUncategorizedRead)
	spec.SetField(oauthclient.FieldAllowUncategorizedModify, field.TypeBool, c.AllowUncategorizedModify)
	spec.SetField(oauthclient.FieldEnabled, field.TypeBool, c.Enabled)
	spec.SetField(oauthclient.FieldRefreshTokens, field.TypeBool, c.RefreshTokens)
	spec.SetField(oauthclient.FieldRequirePKCE, field.TypeBool, c.RequirePKCE)
	target := &sqlgraph.EdgeTarget{IDSpec: sqlgraph.NewFieldSpec(scope.FieldID, field.TypeInt)}
	for _, id := range scopeIDs {
		target.Nodes = append(target.Nodes, id)
	}
	spec.Edges = append(spec.Edges, &sqlgraph.EdgeSpec{Rel: sqlgraph.M2M, Table: oauthclient.ScopesTable,
		Columns: oauthclient.ScopesPrimaryKey, Target: target})
	return spec
}

// txDriver runs an ent client and sqlgraph inside an open transaction, which its owner commits.
type txDriver struct {
	tx      dialect.Tx
	dialect string
}

func (d txDriver) Exec(ctx context.Context, query string, args, v any) error {
	return d.tx.Exec(ctx, query, args, v)
}

func (d txDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.tx.Query(ctx, query, args, v)
}

func (d txDriver) Dialect() string                        { return d.dialect }
func (d txDriver) Close() error                           { return nil }
func (d txDriver) Tx(context.Context) (dialect.Tx, error) { return dialect.NopTx(d), nil }
