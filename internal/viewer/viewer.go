// Package viewer carries who is asking through a request's context.
package viewer

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Role is a user's role within their organisation.
type Role string

// The roles of the contract, from most to least powerful.
const (
	Owner         Role = "OWNER"
	AccessControl Role = "ACCESS_CONTROL"
	Viewer        Role = "VIEWER"
	Member        Role = "MEMBER"
)

// Values lists the roles; ent uses it for the enum.
func (Role) Values() []string {
	return []string{string(Owner), string(AccessControl), string(Viewer), string(Member)}
}

// CanAdminister reports whether the role may change APIs, scopes, endpoints, clients and keys.
func (r Role) CanAdminister() bool { return r == Owner || r == AccessControl }

// CanReadAdmin reports whether the role may read the organisation's configuration.
func (r Role) CanReadAdmin() bool { return r != Member }

// Caller is the identity behind a request.
type Caller struct {
	OrgID  int
	UserID int // 0 for the system caller
	// SessionID is the console session the request came with, if any.
	SessionID int
	Email     string
	Role      Role
	// APIKeyID is set when the caller authenticated with an API key; KeyRead and KeyModify then say
	// what the key's effective scopekeeper.admin.* scopes allow (contract rule 11).
	APIKeyID  int
	KeyRead   bool
	KeyModify bool
	// System marks the server acting on behalf of an organisation (token endpoint, bootstrap,
	// audit writes): it stays inside OrgID but passes role checks.
	System bool
}

// Actor names the caller in audit events.
func (c *Caller) Actor() string {
	switch {
	case c.System:
		return "system"
	case c.APIKeyID != 0:
		return "apikey:" + c.Email
	default:
		return "user:" + c.Email
	}
}

type ctxKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the caller of ctx, or nil.
func FromContext(ctx context.Context) *Caller {
	c, _ := ctx.Value(ctxKey{}).(*Caller)
	return c
}

// SystemContext returns ctx acting as the server itself inside organisation orgID.
func SystemContext(ctx context.Context, orgID int) context.Context {
	return NewContext(ctx, &Caller{OrgID: orgID, Role: Owner, System: true})
}

// MarshalGQL writes the role as a GraphQL enum value.
func (r Role) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL reads a GraphQL enum value.
func (r *Role) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !slices.Contains(Role("").Values(), s) {
		return fmt.Errorf("%v is not a role; use one of OWNER, ACCESS_CONTROL, VIEWER, MEMBER", v)
	}
	*r = Role(s)
	return nil
}
