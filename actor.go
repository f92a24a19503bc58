package parley

import "context"

// contextKey is unexported so no other package can collide with parley's context values.
type contextKey int

const actorKey contextKey = iota

// NewContextWithActor returns a context carrying who is acting, for audit events.
func NewContextWithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey, actor)
}

// ActorFromContext returns the acting party, or "unknown".
func ActorFromContext(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey).(string); ok && a != "" {
		return a
	}
	return "unknown"
}
