package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"
)

// alertRow is what the alert table shows of an alert.
type alertRow struct {
	ID         string    `json:"id"`
	Provider   string    `json:"provider"`
	Severity   string    `json:"severity"`
	Status     string    `json:"status"`
	Name       string    `json:"name"`
	IncidentID string    `json:"incidentId"`
	FirstSeen  time.Time `json:"firstSeen"`
}

func listAlerts(ctx context.Context, a *app, args []string) error {
	fs := a.flags("alerts")
	query := listFlags(fs, "severity", "status", "resource", "provider", "incident", "type", "tactic", "name", "kind", "since", "until", "limit")
	all := fs.Bool("all", false, "follow cursors: every page")
	if _, err := a.parse(fs, args, 0); err != nil {
		return err
	}
	if err := a.connect(); err != nil {
		return err
	}
	return a.list(ctx, "alerts", "/alerts", query(), *all, nil,
		"ID\tPROVIDER\tSEVERITY\tSTATUS\tINCIDENT\tFIRST SEEN\tNAME", func(w io.Writer, raw json.RawMessage) error {
			var r alertRow
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Provider, r.Severity, dash(r.Status),
				dash(r.IncidentID), when(r.FirstSeen), r.Name)
			return err
		})
}

// maxPost bounds a webhook body read from a file or stdin (the ingest
// API's own bound is lower; this only stops a runaway pipe).
const maxPost = 16 << 20

func post(ctx context.Context, a *app, args []string) error {
	fs := a.flags("post")
	pos, err := a.parse(fs, args, 2)
	if err != nil {
		return err
	}
	var in io.Reader = a.stdin
	if pos[1] != "-" {
		f, err := os.Open(pos[1])
		if err != nil {
			return usagef("post: %v", err)
		}
		defer f.Close()
		in = f
	}
	body, err := io.ReadAll(io.LimitReader(in, maxPost))
	if err != nil {
		return usagef("post: read %s: %v", pos[1], err)
	}
	if err := a.connect(); err != nil {
		return err
	}
	res, err := a.client.Post(ctx, pos[0], body)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	var sum struct{ Accepted, Duplicates, Suppressed, Rejected int }
	_ = json.Unmarshal(res, &sum)
	fmt.Fprintf(a.stdout, "accepted %d, duplicates %d, suppressed %d, rejected %d\n", sum.Accepted, sum.Duplicates, sum.Suppressed, sum.Rejected)
	return nil
}

func rules(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return usagef("rules: want list, show <id> or delete <id>")
	}
	verb := args[0]
	fs := a.flags("rules " + verb)
	want := map[string]int{"list": 0, "show": 1, "delete": 1}
	n, ok := want[verb]
	if !ok {
		return usagef("rules: unknown action %q (list|show|delete)", verb)
	}
	pos, err := a.parse(fs, args[1:], n)
	if err != nil {
		return err
	}
	if err := a.connect(); err != nil {
		return err
	}
	switch verb {
	case "show":
		var raw json.RawMessage
		if err := a.client.Get(ctx, "/suppression-rules/"+url.PathEscape(pos[0]), &raw); err != nil {
			return err
		}
		return a.printJSON(raw)
	case "delete":
		if err := a.client.Delete(ctx, "/suppression-rules/"+url.PathEscape(pos[0])); err != nil {
			return err
		}
		if !a.json {
			fmt.Fprintf(a.stdout, "deleted %s\n", pos[0])
		}
		return nil
	}
	return a.listRules(ctx)
}

func (a *app) listRules(ctx context.Context) error {
	return a.list(ctx, "rules", "/suppression-rules", nil, true, nil,
		"ID\tSTATE\tHITS\tEXPIRES\tNAME\tREASON", func(w io.Writer, raw json.RawMessage) error {
			var r struct {
				ID, Name, Reason, State string
				Hits                    int64
				ExpiresAt               *time.Time
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			exp := "-"
			if r.ExpiresAt != nil {
				exp = when(*r.ExpiresAt)
			}
			_, err := fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.State, r.Hits, exp, dash(r.Name), r.Reason)
			return err
		})
}
