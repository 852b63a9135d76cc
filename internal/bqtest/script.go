package bqtest

import (
	"maps"
	"regexp"
	"strings"
)

// The query scripts the server runs: what sosie's sink issues, atomically
// (all statements apply or none):
//
//	BEGIN TRANSACTION;
//	DELETE FROM `p.d.t` WHERE col = 'v' AND col = DATE 'YYYY-MM-DD' AND col IN ('a', 'b');
//	INSERT INTO `p.d.t` SELECT * FROM `p.d.s`;
//	DROP TABLE IF EXISTS `p.d.s`;
//	COMMIT TRANSACTION;
//
// Anything else is an invalidQuery error, as BigQuery answers a query it
// cannot parse.
var (
	reDelete = regexp.MustCompile("(?is)^DELETE\\s+FROM\\s+`([^`]+)`\\s+WHERE\\s+(.+)$")
	reInsert = regexp.MustCompile("(?is)^INSERT\\s+INTO\\s+`([^`]+)`\\s+SELECT\\s+\\*\\s+FROM\\s+`([^`]+)`$")
	reDrop   = regexp.MustCompile("(?is)^DROP\\s+TABLE\\s+(IF\\s+EXISTS\\s+)?`([^`]+)`$")
	reEq     = regexp.MustCompile(`(?is)^(\w+)\s*=\s*(?:DATE\s+)?'([^']*)'$`)
	reIn     = regexp.MustCompile(`(?is)^(\w+)\s+IN\s*\((.*)\)$`)
	reStr    = regexp.MustCompile(`'([^']*)'`)
)

func (s *Server) script(project, sql string) *apiError {
	// Snapshot every table's partitions, to roll back on an error.
	type snap struct {
		d    *dataset
		id   string
		t    *table
		rows map[string][]Row
	}
	var before []snap
	for _, d := range s.datasets {
		for id, t := range d.tables {
			before = append(before, snap{d, id, t, maps.Clone(t.rows)})
		}
	}
	tablesBefore := map[*dataset]map[string]*table{}
	for _, d := range s.datasets {
		tablesBefore[d] = maps.Clone(d.tables)
	}
	rollback := func() {
		for d, ts := range tablesBefore {
			d.tables = ts
		}
		for _, b := range before {
			b.t.rows = b.rows
		}
	}
	for _, stmt := range strings.Split(sql, ";") {
		stmt = strings.TrimSpace(stmt)
		if e := s.statement(project, stmt); e != nil {
			rollback()
			return e
		}
	}
	return nil
}

func (s *Server) statement(project, stmt string) *apiError {
	up := strings.ToUpper(strings.Join(strings.Fields(stmt), " "))
	switch {
	case stmt == "", up == "BEGIN TRANSACTION", up == "BEGIN", up == "COMMIT TRANSACTION", up == "COMMIT":
		return nil
	case reDelete.MatchString(stmt):
		m := reDelete.FindStringSubmatch(stmt)
		t, e := s.tableByName(project, m[1])
		if e != nil {
			return e
		}
		match, e := parseWhere(m[2])
		if e != nil {
			return e
		}
		for p, rows := range t.rows {
			var keep []Row
			for _, r := range rows {
				if !match(r) {
					keep = append(keep, r)
				}
			}
			t.rows[p] = keep
		}
		return nil
	case reInsert.MatchString(stmt):
		m := reInsert.FindStringSubmatch(stmt)
		dst, e := s.tableByName(project, m[1])
		if e != nil {
			return e
		}
		src, e := s.tableByName(project, m[2])
		if e != nil {
			return e
		}
		var rows []Row
		for _, rs := range src.rows {
			rows = append(rows, rs...)
		}
		for _, r := range rows {
			if err := checkRow(dst.meta.Schema, maps.Clone(r), false); err != nil {
				return errf(400, "invalidQuery", "INSERT into %s: %v", m[1], err)
			}
		}
		return s.write(dst, "", rows, "WRITE_APPEND")
	case reDrop.MatchString(stmt):
		m := reDrop.FindStringSubmatch(stmt)
		p, d, id := splitName(project, m[2])
		ds := s.dataset(p, d, false)
		if ds == nil || ds.tables[id] == nil {
			if m[1] != "" {
				return nil
			}
			return errf(404, "notFound", "Not found: Table %s", m[2])
		}
		delete(ds.tables, id)
		return nil
	}
	return errf(400, "invalidQuery", "Syntax error: this server does not run %q", stmt)
}

func splitName(project, name string) (string, string, string) {
	parts := strings.Split(name, ".")
	if len(parts) == 2 {
		return project, parts[0], parts[1]
	}
	if len(parts) == 3 {
		return parts[0], parts[1], parts[2]
	}
	return project, "", name
}

func (s *Server) tableByName(project, name string) (*table, *apiError) {
	p, d, id := splitName(project, name)
	ds := s.dataset(p, d, false)
	if ds == nil || ds.tables[id] == nil {
		return nil, errf(404, "notFound", "Not found: Table %s:%s.%s", p, d, id)
	}
	return ds.tables[id], nil
}

// parseWhere reads a conjunction of col = 'v' and col IN ('a', ...).
func parseWhere(where string) (func(Row) bool, *apiError) {
	type cond struct {
		col    string
		values []string
	}
	var conds []cond
	for _, part := range regexp.MustCompile(`(?i)\s+AND\s+`).Split(strings.TrimSpace(where), -1) {
		part = strings.TrimSpace(part)
		if m := reEq.FindStringSubmatch(part); m != nil {
			conds = append(conds, cond{m[1], []string{m[2]}})
			continue
		}
		if m := reIn.FindStringSubmatch(part); m != nil {
			var vs []string
			for _, v := range reStr.FindAllStringSubmatch(m[2], -1) {
				vs = append(vs, v[1])
			}
			conds = append(conds, cond{m[1], vs})
			continue
		}
		return nil, errf(400, "invalidQuery", "Syntax error: condition %q", part)
	}
	return func(r Row) bool {
		for _, c := range conds {
			v, _ := r[c.col].(string)
			if len(v) >= 10 && len(c.values) > 0 && len(c.values[0]) == 10 && v[4] == '-' {
				v = v[:10] // a DATE compared with a timestamp's date
			}
			ok := false
			for _, want := range c.values {
				ok = ok || v == want
			}
			if !ok {
				return false
			}
		}
		return true
	}, nil
}
