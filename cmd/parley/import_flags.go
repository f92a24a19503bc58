package main

import (
	"flag"
	"fmt"
	"os"

	"parley.dev/parley"
	"parley.dev/parley/internal/csvimport"
)

// importFlags are the flags every CSV import takes.
type importFlags struct {
	path, region *string
	skip, asJSON *bool
}

func addImportFlags(fs *flag.FlagSet, fileUsage string) *importFlags {
	return &importFlags{
		path:   fs.String("file", "", fileUsage),
		skip:   fs.Bool("skip-bad-rows", false, "import the good rows and report the bad ones"),
		region: fs.String("region", "US", "region for numbers without a country code"),
		asJSON: fs.Bool("json", false, "print JSON"),
	}
}

// open opens the import file; --file is required.
func (f *importFlags) open(op string) (*os.File, error) {
	if err := need("file", *f.path); err != nil {
		return nil, err
	}
	file, err := os.Open(*f.path)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	return file, nil
}

// report prints an import's result: JSON with --json, else the skipped rows on stderr and
// the summary line on stdout.
func (f *importFlags) report(m *Main, res any, problems []csvimport.RowError, summary string) error {
	if *f.asJSON {
		return m.writeJSON(res)
	}
	for _, p := range problems {
		fmt.Fprintf(m.Stderr, "skipped: %v\n", p)
	}
	m.printf("%s\n", summary)
	return nil
}
