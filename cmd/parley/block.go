package main

import (
	"context"
	"strconv"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/phone"
)

func init() {
	register("block add", "block add --facility ID (--number NUMBER | --prefix +1900) [--region US]", func(ctx context.Context, m *Main, args []string) error {
		return runBlock(ctx, m, args, true)
	})
	register("block remove", "block remove --facility ID (--number NUMBER | --prefix +1900) [--region US]", func(ctx context.Context, m *Main, args []string) error {
		return runBlock(ctx, m, args, false)
	})
	register("block list", "block list --facility ID [--json]", runBlockList)
}

// runBlock blocks (add) or unblocks a number or a prefix at a facility.
func runBlock(ctx context.Context, m *Main, args []string, add bool) error {
	verb := "remove"
	if add {
		verb = "add"
	}
	fs := m.flags("block " + verb)
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	raw := fs.String("number", "", "phone number to block")
	prefix := fs.String("prefix", "", "E.164 prefix to block, e.g. +1900")
	region := fs.String("region", "US", "region for numbers without a country code")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility); err != nil {
		return err
	}
	if (*raw == "") == (*prefix == "") {
		return usageError("give exactly one of --number and --prefix")
	}
	var n parley.Number
	if *raw != "" {
		var err error
		if n, err = phone.Normalize(*raw, *region); err != nil {
			return flagError("--number", err)
		}
	} else if !admin.ValidBlockPrefix(*prefix) {
		return parley.Errorf("--prefix", parley.KindInvalid, "--prefix must be '+' and 1 to 15 digits, not starting with 0")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if err := e.admin(nil).SetBlock(ctx, admin.Block{FacilityID: *facility, Number: n, Prefix: *prefix}, add); err != nil {
			return err
		}
		what := "prefix " + *prefix
		if n != "" {
			what = "number " + n.Redacted()
		}
		if add {
			m.printf("%s blocked at facility %s\n", what, *facility)
		} else {
			m.printf("%s unblocked at facility %s\n", what, *facility)
		}
		return nil
	})
}

// blocksView is the --json form of 'block list'.
type blocksView struct {
	Numbers  []string `json:"numbers"`
	Prefixes []string `json:"prefixes"`
	// SelfBlocks are called parties who pressed 9 (or asked staff): this facility's and
	// those from every facility.
	SelfBlocks []selfBlockView `json:"self_blocks"`
}

type selfBlockView struct {
	Number  string `json:"number"`
	Scope   string `json:"scope"` // the facility id, or "all"
	AddedAt string `json:"added_at"`
}

// runBlockList prints a facility's blocked numbers and prefixes. Reading numbers is audited.
func runBlockList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("block list")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility); err != nil {
		return err
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		b, err := e.admin(nil).Blocks(ctx, *facility)
		if err != nil {
			return err
		}
		selfBlocks, err := e.store.ListSelfBlocks(ctx, *facility)
		if err != nil {
			return err
		}
		v := blocksView{Numbers: []string{}, Prefixes: []string{}, SelfBlocks: []selfBlockView{}}
		var rows [][]string
		for _, n := range b.Numbers {
			v.Numbers = append(v.Numbers, string(n))
			rows = append(rows, []string{"number", string(n)})
		}
		for _, p := range b.Prefixes {
			v.Prefixes = append(v.Prefixes, p)
			rows = append(rows, []string{"prefix", p})
		}
		for _, sb := range selfBlocks {
			scope := sb.FacilityID
			if scope == "" {
				scope = "all"
			}
			sv := selfBlockView{Number: string(sb.Number), Scope: scope, AddedAt: sb.AddedAt.UTC().Format(time.RFC3339)}
			v.SelfBlocks = append(v.SelfBlocks, sv)
			rows = append(rows, []string{"self-block (" + scope + ")", sv.Number})
		}
		if *asJSON {
			return m.writeJSON(v)
		}
		if err := m.table([]string{"KIND", "VALUE"}, rows); err != nil {
			return err
		}
		m.printf("%s block(s)\n", strconv.Itoa(len(rows)))
		return nil
	})
}
