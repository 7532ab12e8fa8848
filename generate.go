package main

// One chain rebuilds every generated file: ent (which writes graph/schema/ent.graphql), then gqlgen,
// then the console's typed GraphQL operations.
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go tool gqlgen generate
//go:generate npm run --silent codegen
