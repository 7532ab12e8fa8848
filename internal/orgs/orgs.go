// Package orgs creates organisations with their built-in API and first owner, finds them by slug,
// and seeds the demo organisation.
package orgs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"scopekeeper/ent"
	"scopekeeper/ent/organisation"
	"scopekeeper/ent/user"
	"scopekeeper/internal/password"
	"scopekeeper/internal/rule"
	"scopekeeper/internal/viewer"
)

// The built-in API of contract rule 11.
const (
	BuiltInAPI    = "scopekeeper"
	AdminReadOnly = "scopekeeper.admin.readonly"
	AdminModify   = "scopekeeper.admin.modify"
)

// BySlug finds an organisation before any caller is known (the issuer URLs carry only the slug).
func BySlug(ctx context.Context, client *ent.Client, slug string) (*ent.Organisation, error) {
	return client.Organisation.Query().Where(organisation.Slug(slug)).Only(rule.Bypass(ctx))
}

// Owner describes the organisation and first owner Bootstrap creates.
type Owner struct {
	OrgName, OrgSlug, Email, Password string
}

// Validate reports the first bad field of o, in a sentence naming it.
func (o Owner) Validate() error {
	switch {
	case strings.TrimSpace(o.OrgName) == "":
		return errors.New("--org-name is required, e.g. --org-name \"Acme Corp\"")
	case !validSlug(o.OrgSlug):
		return fmt.Errorf("--org-slug %q must be lowercase letters, digits and hyphens, e.g. --org-slug acme", o.OrgSlug)
	case !strings.Contains(o.Email, "@"):
		return fmt.Errorf("--email %q is not an email address, e.g. --email owner@acme.example", o.Email)
	}
	if err := password.Check(o.Password, o.Email, o.OrgName, o.OrgSlug); err != nil {
		return fmt.Errorf("--password: %v", err)
	}
	return nil
}

func validSlug(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Bootstrap creates the organisation and its owner if they are missing; it is idempotent.
func Bootstrap(ctx context.Context, client *ent.Client, o Owner) (orgID, userID int, err error) {
	if err := o.Validate(); err != nil {
		return 0, 0, err
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	org, err := tx.Organisation.Query().Where(organisation.Slug(o.OrgSlug)).Only(rule.Bypass(ctx))
	if ent.IsNotFound(err) {
		org, err = Create(ctx, tx.Client(), o.OrgName, o.OrgSlug)
	}
	if err != nil {
		return 0, 0, err
	}
	sys := viewer.SystemContext(ctx, org.ID)
	email := strings.ToLower(strings.TrimSpace(o.Email))
	u, err := tx.User.Query().Where(user.Email(email)).Only(rule.Bypass(ctx))
	switch {
	case ent.IsNotFound(err):
		u, err = tx.User.Create().SetEmail(email).SetRole(viewer.Owner).
			SetPasswordHash(password.Hash(o.Password)).Save(sys)
		if err != nil {
			return 0, 0, err
		}
	case err != nil:
		return 0, 0, err
	case u.OrganisationID != org.ID:
		return 0, 0, fmt.Errorf("--email %s already belongs to another organisation", email)
	}
	return org.ID, u.ID, tx.Commit()
}

// Create makes an organisation with its built-in API, whose scopes API keys may hold by default.
func Create(ctx context.Context, client *ent.Client, name, slug string) (*ent.Organisation, error) {
	org, err := client.Organisation.Create().SetName(name).SetSlug(slug).Save(viewer.SystemContext(ctx, 0))
	if err != nil {
		return nil, err
	}
	sys := viewer.SystemContext(ctx, org.ID)
	api, err := client.API.Create().SetName(BuiltInAPI).SetDisplayName("Scopekeeper admin API").
		SetDescription("The GraphQL admin API of this organisation.").SetBasePath("/graphql").
		SetBuiltIn(true).Save(sys)
	if err != nil {
		return nil, err
	}
	read, err := client.Scope.Create().SetAPI(api).SetName(AdminReadOnly).SetDisplayName("Read the admin API").
		SetDescription("Run GraphQL queries of the admin API, as far as the key owner's role allows.").
		SetBuiltIn(true).SetShowInDiscoveryDocument(false).Save(sys)
	if err != nil {
		return nil, err
	}
	modify, err := client.Scope.Create().SetAPI(api).SetName(AdminModify).SetDisplayName("Change through the admin API").
		SetDescription("Run GraphQL queries and mutations of the admin API, as far as the key owner's role allows.").
		SetBuiltIn(true).SetShowInDiscoveryDocument(false).Save(sys)
	if err != nil {
		return nil, err
	}
	return client.Organisation.UpdateOne(org).AddAPIKeyAllowedScopes(read, modify).Save(sys)
}
