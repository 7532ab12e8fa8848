package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"scopekeeper/ent"
	"scopekeeper/ent/organisation"
	"scopekeeper/internal/access"
	"scopekeeper/internal/configdoc"
	"scopekeeper/internal/rule"
	"scopekeeper/internal/store"
	"scopekeeper/internal/viewer"
)

// openOrg opens the database and finds the organisation by slug; ctx then acts as the server
// inside it (audit events name the actor "system").
func openOrg(ctx context.Context, dsn, slug string) (context.Context, *store.DB, int, error) {
	if slug == "" {
		return nil, nil, 0, errors.New("--org is required: the organisation's slug, e.g. --org acme")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, nil, 0, err
	}
	org, err := db.Client.Organisation.Query().Where(organisation.Slug(slug)).Only(rule.Bypass(ctx))
	if err != nil {
		db.Close()
		if ent.IsNotFound(err) {
			return nil, nil, 0, fmt.Errorf("there is no organisation %q in %s", slug, dsn)
		}
		return nil, nil, 0, err
	}
	return viewer.SystemContext(ctx, org.ID), db, org.ID, nil
}

// exportCmd is `scopekeeper export --db DSN --org SLUG [--format yaml|json]`.
func exportCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", env("SCOPEKEEPER_DB", "scopekeeper.db"), "database")
	slug := fs.String("org", "", "organisation slug")
	format := fs.String("format", "yaml", "yaml or json")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("export: %v (usage: export --db DSN --org SLUG [--format yaml|json])", errOr(err, "unexpected argument "+fs.Arg(0)))
	}
	f := configdoc.Format(strings.ToUpper(*format))
	if f != configdoc.YAML && f != configdoc.JSON {
		return fmt.Errorf("export: --format %q: use yaml or json", *format)
	}
	ctx, db, orgID, err := openOrg(ctx, *dsn, *slug)
	if err != nil {
		return err
	}
	defer db.Close()
	d, err := configdoc.Export(ctx, db.Client, orgID)
	if err != nil {
		return err
	}
	b, err := configdoc.Encode(d, f)
	if err != nil {
		return err
	}
	_, err = out.Write(b)
	return err
}

// importCmd is `scopekeeper import --db DSN --org SLUG FILE [--dry-run] [--prune]`, flags before
// or after FILE. ${VAR} in the file is replaced from the environment.
func importCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", env("SCOPEKEEPER_DB", "scopekeeper.db"), "database")
	slug := fs.String("org", "", "organisation slug")
	dryRun := fs.Bool("dry-run", false, "show the plan and change nothing")
	prune := fs.Bool("prune", false, "delete what the document leaves out")
	usage := "usage: import --db DSN --org SLUG FILE [--dry-run] [--prune]"
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return fmt.Errorf("import: %v (%s)", err, usage)
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if len(files) != 1 {
		return fmt.Errorf("import: give one FILE (%s)", usage)
	}
	src, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if src, err = substitute(src); err != nil {
		return fmt.Errorf("import %s: %w", files[0], err)
	}
	d, err := configdoc.Parse(src)
	if err != nil {
		return fmt.Errorf("import %s: %w", files[0], err)
	}
	ctx, db, orgID, err := openOrg(ctx, *dsn, *slug)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return err
	}
	plan, err := configdoc.Import(ctx, tx.Client(), orgID, d, *prune)
	if err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("import %s: nothing was changed: %w", files[0], err)
	}
	if *dryRun {
		_ = tx.Rollback()
	} else if err := access.RecordChange(ctx, tx.Client(), orgID); err != nil {
		// Counted in the same transaction, as the server's own changes are: servers on this
		// database then read the organisation again rather than answer from their caches.
		_ = tx.Rollback()
		return fmt.Errorf("import %s: nothing was changed: %w", files[0], err)
	} else if err := tx.Commit(); err != nil {
		return fmt.Errorf("import %s: nothing was changed: %w", files[0], err)
	}
	writePlan(out, plan, !*dryRun)
	return nil
}

var variable = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// substitute replaces ${VAR} with the environment's VAR; an unset VAR is an error, so that a
// missing secret never becomes an empty string.
func substitute(src []byte) ([]byte, error) {
	var missing []string
	out := variable.ReplaceAllFunc(src, func(m []byte) []byte {
		name := string(variable.FindSubmatch(m)[1])
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("the environment does not set %s", strings.Join(missing, ", "))
	}
	return out, nil
}

func writePlan(out io.Writer, p *configdoc.Plan, applied bool) {
	sign := map[configdoc.Action]string{configdoc.Create: "+", configdoc.Update: "~", configdoc.Delete: "-"}
	for _, c := range p.Changes {
		line := fmt.Sprintf("%s %s %s", sign[c.Action], c.Kind, c.Name)
		if len(c.Fields) > 0 {
			line += " (" + strings.Join(c.Fields, ", ") + ")"
		}
		if len(c.UsedBy) > 0 {
			line += " — used by " + strings.Join(c.UsedBy, ", ")
		}
		fmt.Fprintln(out, line)
	}
	switch {
	case len(p.Changes) == 0:
		fmt.Fprintln(out, "No changes: the organisation already matches the document.")
	case applied:
		fmt.Fprintf(out, "Applied %d change(s).\n", len(p.Changes))
	default:
		fmt.Fprintf(out, "Dry run: %d change(s) planned, nothing was changed.\n", len(p.Changes))
	}
	for _, s := range p.Secrets {
		if applied && s.Secret != "" {
			fmt.Fprintf(out, "Client %q: client_id %s, client_secret %s (shown once)\n", s.Client, s.ClientID, s.Secret)
		}
	}
}

func errOr(err error, msg string) string {
	if err != nil {
		return err.Error()
	}
	return msg
}
