package oauth

import (
	"context"
	"errors"
	"log/slog"
	"math/bits"
	"runtime"
	"sync"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/refreshtoken"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/usage"
)

// Group commit: token rows queue on a channel; the writer takes what has queued (up to maxBatch
// rows) and inserts it in one transaction, and every request waits for its own row's commit before
// answering. Under load a batch fills while the previous one commits, so the database does one
// transaction per batch instead of one per token, and no Go lock is held across issuance: requests
// authenticate, check scopes and mint tokens in parallel and only hand a row to the queue.
//
// Taking only what had already queued made batches of 3-4 rows under load, so the database wrote
// WAL frames for the same few pages thousands of times a second. Before committing, the writer now
// yields its processor twice, letting requests that are about to queue a row do so: with 32
// concurrent clients that raised throughput from 12.5k to 15k tokens/s. A timer (100 µs) did as
// well under load but cost a lone request over a millisecond (sleeps shorter than that round up),
// while a yield with nothing else to run returns at once.
//
// One writer: SQLite has a single write lock anyway, and a second writer measured slower (it waits
// in SQLite's busy handler, which sleeps in steps of milliseconds, holding its rows).
const (
	maxBatch    = 256
	yields      = 2
	tokenQueue  = 4096
	writerCount = 1
)

var errWriterClosed = errors.New("oauth: the token writer has stopped")

// errRotated is the answer for a row whose refresh token to consume was already used or revoked.
var errRotated = errors.New("oauth: the refresh token was already used")

type tokenRow struct {
	org      int
	key      []byte
	digest   []byte
	clientID int
	userID   *int
	request  *int // the authorization request of a code grant
	scopeIDs []int
	issued   time.Time
	expires  time.Time
	// refresh is a refresh token stored with the access token, consume the refresh token it
	// replaces (RFC 9700 §4.14.2 rotation): the row is written only if that one is still unused.
	refresh *refreshRow
	consume int
	failed  error // errRotated when consume found the token used, within one commit
	done    chan error
}

// refreshRow is a refresh token to store.
type refreshRow struct {
	key, digest []byte
	family      int // the authorization request of the grant
	session     *int
	scopeIDs    []int
	authTime    time.Time
	expires     time.Time
}

type tokenWriter struct {
	client  *ent.Client
	usage   *usage.Recorder // notes the scopes of stored tokens for the access review; nil: not
	ch      chan *tokenRow
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

func newTokenWriter(client *ent.Client) *tokenWriter {
	w := &tokenWriter{client: client, ch: make(chan *tokenRow, tokenQueue), quit: make(chan struct{}), stopped: make(chan struct{})}
	var wg sync.WaitGroup
	for range writerCount {
		wg.Add(1)
		go func() { defer wg.Done(); w.loop() }()
	}
	go func() { wg.Wait(); close(w.stopped) }()
	return w
}

// write queues row and waits until it is committed.
func (w *tokenWriter) write(ctx context.Context, row *tokenRow) error {
	row.done = make(chan error, 1)
	select {
	case w.ch <- row:
	case <-w.quit:
		return errWriterClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-row.done:
		return err
	case <-w.stopped:
		select {
		case err := <-row.done:
			return err
		default:
			return errWriterClosed
		}
	}
}

// close stops the writers once what is queued is written.
func (w *tokenWriter) close() {
	w.once.Do(func() { close(w.quit) })
	<-w.stopped
}

func (w *tokenWriter) loop() {
	batch := make([]*tokenRow, 0, maxBatch)
	for {
		var first *tokenRow
		select {
		case first = <-w.ch:
		case <-w.quit:
			// Drain what is left, then stop.
			for {
				select {
				case r := <-w.ch:
					w.commit([]*tokenRow{r})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
		for range yields {
			w.drain(&batch)
			if len(batch) == maxBatch {
				break
			}
			runtime.Gosched()
		}
		w.drain(&batch)
		w.commit(batch)
	}
}

// drain appends what has queued to batch, up to maxBatch rows.
func (w *tokenWriter) drain(batch *[]*tokenRow) {
	for len(*batch) < maxBatch {
		select {
		case r := <-w.ch:
			*batch = append(*batch, r)
		default:
			return
		}
	}
}

// commit writes batch in one transaction and answers each row; when the batch fails, each row is
// retried alone so one bad row does not fail the others.
func (w *tokenWriter) commit(batch []*tokenRow) {
	ctx := context.Background()
	err := w.insert(ctx, batch)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			w.answer(r, result(r, w.insert(ctx, []*tokenRow{r})))
		}
		return
	}
	for _, r := range batch {
		w.answer(r, result(r, err))
	}
}

// answer tells the row's request the outcome; a stored token's scopes count as granted from before
// the client has the token.
func (w *tokenWriter) answer(r *tokenRow, err error) {
	if err == nil && w.usage != nil {
		w.usage.Granted(r.org, r.clientID, r.scopeIDs, r.issued)
	}
	r.done <- err
}

func result(r *tokenRow, err error) error {
	if err != nil {
		return err
	}
	return r.failed
}

func (w *tokenWriter) insert(ctx context.Context, rows []*tokenRow) error {
	tx, err := w.client.Tx(ctx)
	if err != nil {
		return err
	}
	byOrg := map[int][]*ent.TokenCreate{}
	refreshByOrg := map[int][]*ent.RefreshTokenCreate{}
	for _, r := range rows {
		r.failed = nil
		if r.consume != 0 {
			n, err := tx.RefreshToken.Update().Where(refreshtoken.ID(r.consume), refreshtoken.UsedAtIsNil(), refreshtoken.RevokedAtIsNil()).
				SetUsedAt(r.issued).Save(sys(ctx, r.org))
			if err != nil {
				_ = tx.Rollback()
				return err
			}
			if n == 0 {
				r.failed = errRotated
				continue
			}
		}
		if f := r.refresh; f != nil {
			refreshByOrg[r.org] = append(refreshByOrg[r.org], tx.RefreshToken.Create().SetLookupKey(f.key).SetTokenHash(f.digest).
				SetClientID(r.clientID).SetUserID(*r.userID).SetAuthRequestID(f.family).SetNillableSessionID(f.session).
				SetScopeIds(f.scopeIDs).SetAuthTime(f.authTime).SetIssuedAt(r.issued).SetExpiresAt(f.expires))
		}
		c := tx.Token.Create().SetLookupKey(r.key).SetTokenHash(r.digest).SetClientID(r.clientID).SetNillableUserID(r.userID).SetNillableAuthRequestID(r.request).
			SetScopeIds(r.scopeIDs).SetIssuedAt(r.issued).SetExpiresAt(r.expires)
		byOrg[r.org] = append(byOrg[r.org], c)
	}
	for org, creates := range byOrg {
		// Inserts of 2^k rows: the statement's text depends on its row count, and a few sizes
		// let the driver reuse prepared statements (_stmt_cache_size) instead of parsing each.
		for len(creates) > 0 {
			n := 1 << (bits.Len(uint(len(creates))) - 1)
			if err := tx.Token.CreateBulk(creates[:n]...).Exec(sys(ctx, org)); err != nil {
				_ = tx.Rollback()
				return err
			}
			creates = creates[n:]
		}
	}
	for org, creates := range refreshByOrg {
		for len(creates) > 0 {
			n := 1 << (bits.Len(uint(len(creates))) - 1)
			if err := tx.RefreshToken.CreateBulk(creates[:n]...).Exec(sys(ctx, org)); err != nil {
				_ = tx.Rollback()
				return err
			}
			creates = creates[n:]
		}
	}
	return tx.Commit()
}

// issued is a fresh access token, and the refresh token issued with it.
type issued struct {
	value   string
	refresh string
	issued  time.Time
	expires time.Time
}

// issueToken stores a new opaque access token for client ci (and, for a code grant, its user and
// authorization request).
func (p *Provider) issueToken(ctx context.Context, org *orgInfo, ci *clientInfo, userID, request *int, scopes []int) (*issued, error) {
	return p.issue(ctx, org, ci, userID, request, scopes, nil, 0)
}

// issue stores an access token, with refresh (its key and digest are filled in here) when not nil,
// in place of the refresh token consume when not 0.
func (p *Provider) issue(ctx context.Context, org *orgInfo, ci *clientInfo, userID, request *int, scopes []int, refresh *refreshRow, consume int) (*issued, error) {
	now := p.now()
	value, key, digest := secret.NewSplit(secret.AccessTokenPrefix, now)
	out := &issued{value: value}
	if refresh != nil {
		out.refresh, refresh.key, refresh.digest = secret.NewSplit(secret.RefreshTokenPrefix, now)
	}
	// Microseconds (what PostgreSQL keeps), not seconds: credential.Held compares the issuance
	// with when a scope was taken from the client, which may be in the same second.
	now = now.Truncate(time.Microsecond)
	row := &tokenRow{org: org.ID, key: key, digest: digest, clientID: ci.c.ID, userID: userID, request: request, scopeIDs: scopes,
		issued: now, expires: now.Add(AccessTokenTTL), refresh: refresh, consume: consume}
	if refresh != nil {
		refresh.expires = now.Add(org.RefreshTTL)
	}
	if err := p.writer.write(ctx, row); err != nil {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, errRotated) {
			slog.ErrorContext(ctx, "oauth: store token", "error", err)
		}
		return nil, err
	}
	out.issued, out.expires = row.issued, row.expires
	return out, nil
}
