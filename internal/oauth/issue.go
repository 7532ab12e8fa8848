package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/refreshtoken"
	"scopekeeper/ent/session"
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

// errRotated is the answer for a row whose refresh-token family to rotate was rotated or revoked
// since its generation was read.
var errRotated = errors.New("oauth: the refresh token was already used")

type tokenRow struct {
	org      int
	key      []byte
	digest   []byte
	clientID int
	userID   *int
	request  *int // the authorization request of a code grant
	scopeIDs []int
	audience []string
	issued   time.Time
	expires  time.Time
	// refresh is a refresh token stored with the access token: a new family, or with consume (the
	// family's row) the next generation of that family (RFC 9700 §4.14.2 rotation), written only
	// if the family is still at the generation before.
	refresh *refreshRow
	consume int
	failed  error // errRotated when consume's family had moved on from the generation before, within one commit
	done    chan error

	// find asks for the refresh token with this lookup key: read in the writer's transaction
	// before it writes, on the connection whose page cache the writes keep warm, and with the
	// other reads of the batch in one statement. found is the token (nil when there is none),
	// sessionEnds when its sign-in session ends (zero when it has none left).
	find        []byte
	found       *ent.RefreshToken
	sessionEnds time.Time
	// decide, when not nil, completes the row from found (what to consume, the user, the scopes)
	// or refuses it (its error is the row's, nothing is written): a refresh grant is then one
	// trip through the writer. It runs on the writer's goroutine, again when a batch is retried
	// row by row, and must not block. Without decide, a row with find is a read only.
	decide func(*tokenRow) error
}

// refreshRow is a refresh token to store.
type refreshRow struct {
	key, digest []byte
	generation  uint32
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
	if err := w.batch(ctx, tx, rows); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// batch runs rows in tx, a constant number of statements whatever their number: the reads first
// (so they see only what is committed), then the rotations of refresh-token families, then the
// inserts; per organisation, because every statement is filtered by the caller's organisation.
func (w *tokenWriter) batch(ctx context.Context, tx *ent.Tx, rows []*tokenRow) error {
	finds := map[int][]*tokenRow{}
	byOrg := map[int][]*ent.TokenCreate{}
	refreshByOrg := map[int][]*ent.RefreshTokenCreate{}
	rotations := map[int][]*tokenRow{}
	consumed := map[int]bool{}
	for _, r := range rows {
		r.failed, r.found, r.sessionEnds = nil, nil, time.Time{}
		if r.find != nil {
			finds[r.org] = append(finds[r.org], r)
		}
	}
	for org, rs := range finds {
		if err := findRefresh(sys(ctx, org), tx, rs); err != nil {
			return err
		}
	}
	var writes []*tokenRow
	for _, r := range rows {
		if r.decide != nil {
			if r.failed = decide(r); r.failed != nil {
				continue
			}
		} else if r.find != nil {
			continue
		}
		if r.consume != 0 {
			if consumed[r.consume] {
				r.failed = errRotated // the same refresh token twice in one batch: the second is a reuse
				continue
			}
			consumed[r.consume] = true
			rotations[r.org] = append(rotations[r.org], r)
		}
		writes = append(writes, r)
	}
	for org, rs := range rotations {
		if err := inPowersOfTwo(rs, func(rs []*tokenRow) error { return rotate(sys(ctx, org), tx, org, rs) }); err != nil {
			return err
		}
	}
	for _, r := range writes {
		if r.failed != nil {
			continue // its family was rotated or revoked meanwhile
		}
		if f := r.refresh; f != nil && r.consume == 0 {
			refreshByOrg[r.org] = append(refreshByOrg[r.org], tx.RefreshToken.Create().SetLookupKey(f.key).SetTokenHash(f.digest).
				SetClientID(r.clientID).SetUserID(*r.userID).SetAuthRequestID(f.family).SetNillableSessionID(f.session).
				SetScopeIds(f.scopeIDs).SetAuthTime(f.authTime).SetIssuedAt(r.issued).SetExpiresAt(f.expires).SetGeneration(int(f.generation)))
		}
		c := tx.Token.Create().SetLookupKey(r.key).SetTokenHash(r.digest).SetClientID(r.clientID).SetNillableUserID(r.userID).SetNillableAuthRequestID(r.request).
			SetScopeIds(r.scopeIDs).SetAudience(r.audience).SetIssuedAt(r.issued).SetExpiresAt(r.expires)
		byOrg[r.org] = append(byOrg[r.org], c)
	}
	for org, creates := range byOrg {
		if err := inPowersOfTwo(creates, func(c []*ent.TokenCreate) error { return tx.Token.CreateBulk(c...).Exec(sys(ctx, org)) }); err != nil {
			return err
		}
	}
	for org, creates := range refreshByOrg {
		if err := inPowersOfTwo(creates, func(c []*ent.RefreshTokenCreate) error {
			return tx.RefreshToken.CreateBulk(c...).Exec(sys(ctx, org))
		}); err != nil {
			return err
		}
	}
	return nil
}

// decide runs r.decide; a panic in it fails the row instead of the writer (and with it the
// process), as net/http would have confined it to its request.
func decide(r *tokenRow) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("oauth: deciding a token row panicked: %v", v)
		}
	}()
	return r.decide(r)
}

// inPowersOfTwo calls f on consecutive parts of xs of 2^k elements: a statement's text depends on
// how many rows or values it names, and a few sizes let the driver reuse prepared statements
// (_stmt_cache_size) instead of parsing each.
func inPowersOfTwo[T any](xs []T, f func([]T) error) error {
	for len(xs) > 0 {
		n := 1 << (bits.Len(uint(len(xs))) - 1)
		if err := f(xs[:n]); err != nil {
			return err
		}
		xs = xs[n:]
	}
	return nil
}

// findRefresh answers the finds of one organisation: their refresh tokens, then the sign-in
// sessions of the online ones.
func findRefresh(ctx context.Context, tx *ent.Tx, rows []*tokenRow) error {
	keys := make([][]byte, len(rows))
	for i, r := range rows {
		keys[i] = r.find
	}
	byKey := map[string]*ent.RefreshToken{}
	if err := inPowersOfTwo(keys, func(k [][]byte) error {
		found, err := tx.RefreshToken.Query().Where(refreshtoken.LookupKeyIn(k...)).All(ctx)
		for _, rt := range found {
			byKey[string(rt.LookupKey)] = rt
		}
		return err
	}); err != nil {
		return err
	}
	var sessions []int
	for _, r := range rows {
		r.found = byKey[string(r.find)]
		if r.found != nil && r.found.SessionID != nil && !slices.Contains(sessions, *r.found.SessionID) {
			sessions = append(sessions, *r.found.SessionID)
		}
	}
	if len(sessions) == 0 {
		return nil
	}
	ends := map[int]time.Time{}
	if err := inPowersOfTwo(sessions, func(ids []int) error {
		found, err := tx.Session.Query().Where(session.IDIn(ids...)).Select(session.FieldExpiresAt).All(ctx)
		for _, s := range found {
			ends[s.ID] = s.ExpiresAt
		}
		return err
	}); err != nil {
		return err
	}
	for _, r := range rows {
		if r.found != nil && r.found.SessionID != nil {
			r.sessionEnds = ends[*r.found.SessionID]
		}
	}
	return nil
}

// rotate moves the refresh-token families of rows (of organisation org) to the rows' generations,
// each only if still at the generation before and neither revoked nor (a row of generation 0)
// rotated out: one UPDATE, whose RETURNING names the families it moved; a row whose family it did
// not move (rotated or revoked since the batch read it, e.g. by another server process) fails
// with errRotated and writes nothing. The statement is built by hand: every family gets values of
// its own, and ent's update builder cost more CPU than the database did. No hook of a refresh
// token's update is skipped (the issuer cache ignores runtime types, the audit log does not record
// them); the organisation is named as ent's privacy filter would.
func rotate(ctx context.Context, tx *ent.Tx, org int, rows []*tokenRow) error {
	args := make([]any, 0, 6*len(rows)+1)
	for _, r := range rows {
		args = append(args, r.consume, r.refresh.digest)
	}
	for _, r := range rows {
		scopes, err := json.Marshal(r.refresh.scopeIDs)
		if err != nil {
			return err
		}
		args = append(args, scopes)
	}
	for _, r := range rows {
		args = append(args, r.issued)
	}
	for _, r := range rows {
		args = append(args, r.refresh.expires)
	}
	args = append(args, org)
	for _, r := range rows {
		args = append(args, int64(r.refresh.generation)-1)
	}
	query, ok := rotateSQLs.Load(len(rows))
	if !ok {
		query, _ = rotateSQLs.LoadOrStore(len(rows), rotateSQL(len(rows)))
	}
	res, err := tx.QueryContext(ctx, query.(string), args...)
	if err != nil {
		return err
	}
	defer res.Close()
	moved := make(map[int]bool, len(rows))
	for res.Next() {
		var id int
		if err := res.Scan(&id); err != nil {
			return err
		}
		moved[id] = true
	}
	if err := res.Err(); err != nil {
		return err
	}
	for _, r := range rows {
		if !moved[r.consume] {
			r.failed = errRotated
		}
	}
	return nil
}

// rotateSQLs keeps rotateSQL's text by batch size (a few: rotations come in powers of two).
var rotateSQLs sync.Map

// rotateSQL is rotate's statement for n families: each new value, and the generation each family
// must be at, a CASE on the primary key whose ELSE is the column itself (never taken: the IN list
// names only those keys), which gives PostgreSQL the parameters' types. Its $n parameters are
// numbered in order of first appearance, as SQLite numbers them, so the same text serves both and
// the driver prepares it once per size (rotate's batches come in powers of two).
func rotateSQL(n int) string {
	var b strings.Builder
	params := 0
	param := func() string { params++; return "$" + strconv.Itoa(params) }
	ids := make([]string, n)
	fmt.Fprintf(&b, "UPDATE %s SET %s = %[2]s + 1", refreshtoken.Table, refreshtoken.FieldGeneration)
	for c, col := range []string{refreshtoken.FieldTokenHash, refreshtoken.FieldScopeIds, refreshtoken.FieldIssuedAt, refreshtoken.FieldExpiresAt} {
		fmt.Fprintf(&b, ", %s = CASE %s", col, refreshtoken.FieldID)
		for i := range ids {
			if c == 0 {
				ids[i] = param()
			}
			fmt.Fprintf(&b, " WHEN %s THEN %s", ids[i], param())
		}
		fmt.Fprintf(&b, " ELSE %s END", col)
	}
	fmt.Fprintf(&b, " WHERE %s IN (%s) AND %s = %s AND %s = CASE %s", refreshtoken.FieldID, strings.Join(ids, ", "),
		refreshtoken.FieldOrganisationID, param(), refreshtoken.FieldGeneration, refreshtoken.FieldID)
	for _, id := range ids {
		fmt.Fprintf(&b, " WHEN %s THEN %s", id, param())
	}
	fmt.Fprintf(&b, " ELSE %s END AND %s IS NULL AND %s IS NULL RETURNING %s", refreshtoken.FieldGeneration,
		refreshtoken.FieldUsedAt, refreshtoken.FieldRevokedAt, refreshtoken.FieldID)
	return b.String()
}

// issued is a fresh access token, and the refresh token issued with it.
type issued struct {
	value   string
	refresh string
	issued  time.Time
	expires time.Time
}

// issue stores an access token shaped as sh (opaque, or a JWT) for client ci (and, for a code
// grant, its user and authorization request), with refresh when not nil: a new family, or the
// generation refresh.generation of the family with lookup key refresh.key (its value and digest
// are made here).
func (p *Provider) issue(ctx context.Context, org *orgInfo, ci *clientInfo, userID, request *int, scopes []int, sh shape, refresh *refreshRow) (*issued, error) {
	row, out, err := p.newRow(ctx, org, ci, userID, request, scopes, sh, refresh)
	if err != nil {
		return nil, err
	}
	if err := p.store(ctx, row); err != nil {
		return nil, err
	}
	return out, nil
}

// newRow mints an access token of ci shaped as sh (and refresh, when not nil) and returns the row
// to store.
func (p *Provider) newRow(ctx context.Context, org *orgInfo, ci *clientInfo, userID, request *int, scopes []int, sh shape, refresh *refreshRow) (*tokenRow, *issued, error) {
	now := p.now()
	// Microseconds (what PostgreSQL keeps), not seconds: credential.Held compares the issuance
	// with when a scope was taken from the client, which may be in the same second.
	at := now.Truncate(time.Microsecond)
	value, key, digest := secret.NewSplit(secret.AccessTokenPrefix, now)
	out := &issued{value: value}
	if refresh != nil {
		if refresh.key == nil {
			refresh.key, _ = secret.NewKey(now)
			refresh.generation = 1 // 0 is a row issued before generations were counted
		}
		out.refresh, refresh.digest = secret.RefreshValue(refresh.key, refresh.generation)
		refresh.expires = at.Add(org.RefreshTTL)
	}
	row := &tokenRow{org: org.ID, key: key, digest: digest, clientID: ci.c.ID, userID: userID, request: request, scopeIDs: scopes,
		issued: at, expires: at.Add(AccessTokenTTL), refresh: refresh}
	out.issued, out.expires = row.issued, row.expires
	var k *signingKey
	if sh.jwt {
		var err error
		if k, err = p.accessKey(ctx, org.ID); err != nil {
			return nil, nil, err
		}
	}
	if err := p.reshape(row, out, k, org, ci, sh); err != nil {
		return nil, nil, err
	}
	return row, out, nil
}

// reshape gives row (and its answer out) sh's audience and, for a JWT, replaces its opaque value
// with a JWT signed by k (the organisation's access-token key) for the same lifetime's start. It
// reads nothing, so the writer may call it while deciding a row.
func (p *Provider) reshape(row *tokenRow, out *issued, k *signingKey, org *orgInfo, ci *clientInfo, sh shape) error {
	row.audience = sh.aud
	if !sh.jwt {
		return nil
	}
	key, jti := secret.NewKey(row.issued)
	value, err := p.signAccess(k, org, ci, row.userID, jti, sh, row.issued, row.issued.Add(sh.ttl))
	if err != nil {
		return err
	}
	row.key, row.digest, row.expires = key, secret.Digest(value), row.issued.Add(sh.ttl)
	out.value, out.expires = value, row.expires
	return nil
}

// store writes row through the writer; refused is an error its decide may return, not logged.
func (p *Provider) store(ctx context.Context, row *tokenRow) error {
	err := p.writer.write(ctx, row)
	var refused *refusal
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, errRotated) && !errors.As(err, &refused) {
		slog.ErrorContext(ctx, "oauth: store token", "error", err)
	}
	return err
}

// expiresIn is RFC 6749 §5.1's expires_in of tok.
func (tok *issued) expiresIn() int64 { return int64(tok.expires.Sub(tok.issued) / time.Second) }
