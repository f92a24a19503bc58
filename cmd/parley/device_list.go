package main

import (
	"context"
	"strconv"
	"time"

	"parley.dev/parley"
)

func init() {
	register("device list", "device list --facility ID [--json]", runDeviceList)
}

// deviceView is one line of 'device list --json'. Device ids and names are not personal
// data.
type deviceView struct {
	ID          string `json:"id"`
	Facility    string `json:"facility"`
	Name        string `json:"name"`
	DoNotRecord bool   `json:"do_not_record"`
	AddedAt     string `json:"added_at"`
}

// runDeviceList lists the devices behind a facility's gateways, oldest first (the read is
// audited as "device.list").
func runDeviceList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("device list")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility); err != nil {
		return err
	}
	if parley.ValidateID(*facility) != nil {
		return usageError("--facility must be a simple id (letters, digits, '-', '_', '.')")
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		devices, err := e.admin(nil).ListDevices(ctx, *facility)
		if err != nil {
			return err
		}
		views := make([]deviceView, 0, len(devices))
		rows := make([][]string, 0, len(devices))
		for _, d := range devices {
			v := deviceView{ID: d.ID, Facility: d.FacilityID, Name: d.Name, DoNotRecord: d.DoNotRecord,
				AddedAt: d.CreatedAt.UTC().Format(time.RFC3339)}
			views = append(views, v)
			rows = append(rows, []string{v.ID, v.Name, strconv.FormatBool(v.DoNotRecord), v.AddedAt})
		}
		if *asJSON {
			return m.writeJSON(views)
		}
		return m.table([]string{"ID", "NAME", "DO-NOT-RECORD", "ADDED"}, rows)
	})
}
