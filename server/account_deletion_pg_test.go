package server

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// scanPostgres reads every row of every table of the database at url, as
// PostgreSQL prints it (bytea as hex), and fails the test if any trace is
// there.
func (tr traces) scanPostgres(t *testing.T, url string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(names) < 10 {
		t.Fatalf("tables: %v, %v", names, err)
	}
	hexTraces := traces{}
	for what, b := range tr {
		hexTraces[what] = []byte(hexString(b))
	}
	var dump []byte
	for _, n := range names {
		rows, err := conn.Query(t.Context(), `SELECT t::text FROM `+pgx.Identifier{n}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range texts {
			dump = append(dump, s...)
			dump = append(dump, '\n')
		}
	}
	hexTraces.scan(t, "every PostgreSQL table, row by row", dump)
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
