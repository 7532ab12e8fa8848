package main

import (
	"context"
	"database/sql"

	"entgo.io/ent/dialect"
)

// recordingDriver passes every statement, in or out of a transaction, to record before running it.
type recordingDriver struct {
	dialect.Driver
	record func(ctx context.Context, query string, args any)
}

func (d *recordingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.record(ctx, query, args)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *recordingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.record(ctx, query, args)
	return d.Driver.Query(ctx, query, args, v)
}

func (d *recordingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &recordingTx{Tx: tx, record: d.record}, nil
}

// BeginTx keeps transaction options (ent's Tx with options) working through the wrapper.
func (d *recordingDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return d.Tx(ctx)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &recordingTx{Tx: tx, record: d.record}, nil
}

type recordingTx struct {
	dialect.Tx
	record func(ctx context.Context, query string, args any)
}

func (t *recordingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.record(ctx, query, args)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *recordingTx) Query(ctx context.Context, query string, args, v any) error {
	t.record(ctx, query, args)
	return t.Tx.Query(ctx, query, args, v)
}
