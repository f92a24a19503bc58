package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
)

// writeJSON prints v as indented JSON: the --json output of data commands.
func (m *Main) writeJSON(v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows as aligned columns under a header.
func (m *Main) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c)
		}
		fmt.Fprintln(tw)
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	return tw.Flush()
}
