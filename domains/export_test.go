package domains

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/simgym/simgym/domains/schema"
)

// EncodeBothWays reads a generated-shape query's rows twice: as SQLite
// encodes them (what GetRow and ListRows serve) and as the Go encoder
// does. rewritten is false when the query could not be rewritten.
func EncodeBothWays(ctx context.Context, db *sql.DB, t *schema.Table, query string) (bySQLite, byGo json.RawMessage, rewritten bool, err error) {
	q := jsonQuery(t, query)
	if q == "" {
		return nil, nil, false, nil
	}
	if bySQLite, err = queryJSON(ctx, db, q, true, nil); err != nil {
		return nil, nil, true, err
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, nil, true, err
	}
	byGo, err = encodeRows(t, rows, true, nil)
	return bySQLite, byGo, true, err
}
