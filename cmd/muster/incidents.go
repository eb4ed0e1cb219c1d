package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/apiclient"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// listFlags registers the API's list filters named in names and returns
// the query they build.
func listFlags(fs interface {
	String(name, value, usage string) *string
}, names ...string) func() url.Values {
	vals := map[string]*string{}
	for _, n := range names {
		vals[n] = fs.String(n, "", "filter: "+n)
	}
	return func() url.Values {
		q := url.Values{}
		for n, v := range vals {
			if *v != "" {
				q.Set(n, *v)
			}
		}
		return q
	}
}

// list prints a list command's items (every page with all; a note on
// stderr when pages were left unread, and only those keep keeps): as JSON
// with --json, else as a table of header and a row per item.
func (a *app) list(ctx context.Context, what, path string, q url.Values, all bool, keep func(json.RawMessage) bool,
	header string, row func(io.Writer, json.RawMessage) error) error {
	items := []json.RawMessage{}
	for p, err := range a.client.Pages(ctx, path, q) {
		if err != nil {
			return err
		}
		for _, it := range p.Items {
			if keep == nil || keep(it) {
				items = append(items, it)
			}
		}
		if p.Cursor != "" && !all {
			fmt.Fprintf(a.stderr, "muster: more %s: --all reads every page\n", what)
			break
		}
	}
	if a.json {
		return a.printJSON(items)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, raw := range items {
		if err := row(tw, raw); err != nil {
			return fmt.Errorf("list %s: %w", what, apiclient.ErrServer)
		}
	}
	return tw.Flush()
}

func listIncidents(ctx context.Context, a *app, args []string) error {
	fs := a.flags("incidents")
	query := listFlags(fs, "severity", "status", "resource", "owner", "provider", "tactic", "since", "until", "limit")
	all := fs.Bool("all", false, "follow cursors: every page")
	var tags stringList
	fs.Var(&tags, "tag", "k=v: only incidents with a resource tagged so (repeatable)")
	if _, err := a.parse(fs, args, 0); err != nil {
		return err
	}
	match, err := tagMatcher(tags)
	if err != nil {
		return err
	}
	if err := a.connect(); err != nil {
		return err
	}
	return a.list(ctx, "incidents", "/incidents", query(), *all, match,
		"ID\tSEVERITY\tSTATUS\tOWNER\tALERTS\tLAST ACTIVITY\tTITLE", func(w io.Writer, raw json.RawMessage) error {
			var inc incident.Incident
			if err := json.Unmarshal(raw, &inc); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", inc.ID, inc.Severity, inc.Status, dash(inc.Owner),
				inc.AlertCount, when(inc.LastActivity), inc.Title)
			return err
		})
}

// tagMatcher keeps incidents with a resource carrying every k=v given
// (the API has no tag filter, so this one runs here).
func tagMatcher(tags []string) (func(json.RawMessage) bool, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	want := map[string]string{}
	for _, t := range tags {
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			return nil, usagef("--tag %q: want key=value", t)
		}
		want[k] = v
	}
	return func(raw json.RawMessage) bool {
		var inc struct {
			Resources []alert.Resource `json:"resources"`
		}
		_ = json.Unmarshal(raw, &inc)
		for _, r := range inc.Resources {
			ok := true
			for k, v := range want {
				ok = ok && r.Tags[k] == v
			}
			if ok {
				return true
			}
		}
		return false
	}, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// incidentCmd is "muster incident <verb> <id> ...".
func incidentCmd(ctx context.Context, a *app, args []string) error {
	verbs := map[string]func(context.Context, *app, []string) error{
		"show": showIncident, "assign": assignIncident, "resolve": resolveIncident,
		"dismiss": dismissIncident, "comment": commentIncident,
	}
	if len(args) == 0 {
		return usagef("incident: want show|assign|resolve|dismiss|comment <id>")
	}
	fn, ok := verbs[args[0]]
	if !ok {
		return usagef("incident: unknown action %q (show|assign|resolve|dismiss|comment)", args[0])
	}
	return fn(ctx, a, args[1:])
}

func showIncident(ctx context.Context, a *app, args []string) error {
	fs := a.flags("incident show")
	pos, err := a.parse(fs, args, 1)
	if err != nil {
		return err
	}
	if err := a.connect(); err != nil {
		return err
	}
	d, err := a.client.Incident(ctx, pos[0])
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(d.Raw)
	}
	a.printDetail(d)
	return nil
}

func (a *app) printDetail(d apiclient.Detail) {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\n", d.ID, d.Title)
	fmt.Fprintf(tw, "severity\t%s\n", d.Severity)
	fmt.Fprintf(tw, "status\t%s\n", joinNonEmpty(" · ", string(d.Status), string(d.Classification)))
	fmt.Fprintf(tw, "owner\t%s\n", dash(d.Owner))
	fmt.Fprintf(tw, "stages\t%s\n", killchain.Strip(d.Tactics))
	fmt.Fprintf(tw, "resources\t%s\n", resourceList(d.Resources))
	fmt.Fprintf(tw, "sources\t%s\n", dash(strings.Join(d.Sources, ", ")))
	fmt.Fprintf(tw, "alerts\t%d\n", d.AlertCount)
	fmt.Fprintf(tw, "activity\t%s … %s\n", when(d.FirstActivity), when(d.LastActivity))
	fmt.Fprintf(tw, "version\t%d\n", d.Version)
	if c := d.Links["console"]; c != "" {
		fmt.Fprintf(tw, "console\t%s\n", c)
	}
	_ = tw.Flush()
	if len(d.Comments) > 0 {
		fmt.Fprintln(a.stdout, "\ncomments:")
		for _, c := range d.Comments {
			fmt.Fprintf(a.stdout, "  %s %s: %s\n", when(c.At), c.Author, c.Text)
		}
	}
	if len(d.Timeline) > 0 {
		fmt.Fprintln(a.stdout, "\ntimeline:")
		for _, e := range d.Timeline {
			fmt.Fprintf(a.stdout, "  %s %s: %s\n", when(e.At), dash(e.Actor), joinNonEmpty(" ", e.Action, arrow(e.From, e.To), e.Detail))
		}
	}
}

func arrow(from, to string) string {
	if from == "" && to == "" {
		return ""
	}
	return dash(from) + " → " + dash(to)
}

func resourceList(rs []alert.Resource) string {
	var out []string
	for _, r := range rs {
		out = append(out, joinNonEmpty(" ", r.ID, paren(joinNonEmpty(", ", r.Type, r.Name))))
	}
	return dash(strings.Join(out, "; "))
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func assignIncident(ctx context.Context, a *app, args []string) error {
	fs := a.flags("incident assign")
	pos, err := a.parse(fs, args, 2)
	if err != nil {
		return err
	}
	return a.change(ctx, pos[0], apiclient.Patch{Owner: &pos[1]}, "")
}

func resolveIncident(ctx context.Context, a *app, args []string) error {
	fs := a.flags("incident resolve")
	comment := fs.String("comment", "", "a comment to add")
	pos, err := a.parse(fs, args, 2)
	if err != nil {
		return err
	}
	class, ok := parseClassification(pos[1])
	if !ok {
		return usagef("incident resolve: classification %q: want TruePositive, BenignPositive, FalsePositive or Undetermined", pos[1])
	}
	status := string(incident.StatusResolved)
	return a.change(ctx, pos[0], apiclient.Patch{Status: &status, Classification: &class}, *comment)
}

func dismissIncident(ctx context.Context, a *app, args []string) error {
	fs := a.flags("incident dismiss")
	reason := fs.String("reason", "", "why (added as a comment)")
	pos, err := a.parse(fs, args, 1)
	if err != nil {
		return err
	}
	status := string(incident.StatusDismissed)
	return a.change(ctx, pos[0], apiclient.Patch{Status: &status}, *reason)
}

func commentIncident(ctx context.Context, a *app, args []string) error {
	fs := a.flags("incident comment")
	pos, err := a.parse(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("incident comment: want <id> <text>")
	}
	if err := a.connect(); err != nil {
		return err
	}
	c, err := a.client.Comment(ctx, pos[0], strings.Join(pos[1:], " "))
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(c)
	}
	fmt.Fprintf(a.stdout, "commented on %s\n", pos[0])
	return nil
}

// parseClassification accepts a classification in any case, or its
// initials (tp, bp, fp).
func parseClassification(s string) (string, bool) {
	short := map[string]incident.Classification{"tp": incident.TruePositive, "bp": incident.BenignPositive, "fp": incident.FalsePositive}
	if c, ok := short[strings.ToLower(s)]; ok {
		return string(c), true
	}
	for _, c := range incident.Classifications {
		if strings.EqualFold(s, string(c)) {
			return string(c), true
		}
	}
	return "", false
}

// change patches an incident at the version it reads first. When someone
// else changed it in between (412), it shows what changed and tries once
// more on the new version. A comment, when given, is added after.
func (a *app) change(ctx context.Context, id string, p apiclient.Patch, comment string) error {
	if err := a.connect(); err != nil {
		return err
	}
	before, err := a.client.Incident(ctx, id)
	if err != nil {
		return err
	}
	inc, err := a.client.PatchIncident(ctx, id, before.Version, p)
	var ae *apiclient.Error
	if errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed {
		now, rerr := a.client.Incident(ctx, id)
		if rerr != nil {
			return rerr
		}
		fmt.Fprintf(a.stderr, "muster: %s changed since it was read (version %d → %d):\n", id, before.Version, now.Version)
		for _, line := range changes(before.Incident, now.Incident) {
			fmt.Fprintf(a.stderr, "  %s\n", line)
		}
		fmt.Fprintln(a.stderr, "muster: trying once more on the new version")
		inc, err = a.client.PatchIncident(ctx, id, now.Version, p)
	}
	if err != nil {
		return err
	}
	if comment != "" {
		if _, err := a.client.Comment(ctx, id, comment); err != nil {
			return fmt.Errorf("changed %s but the comment failed: %w", id, err)
		}
	}
	if a.json {
		return a.printJSON(inc)
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", inc.ID, joinNonEmpty(" · ", string(inc.Status), string(inc.Classification), ownerText(inc.Owner)))
	return nil
}

func ownerText(o string) string {
	if o == "" {
		return ""
	}
	return "owner " + o
}

// changes lists, one line each, the fields an analyst acts on that differ
// between two reads of an incident.
func changes(before, after incident.Incident) []string {
	var out []string
	diff := func(name, b, a string) {
		if b != a {
			out = append(out, fmt.Sprintf("%s: %s → %s", name, dash(b), dash(a)))
		}
	}
	diff("status", string(before.Status), string(after.Status))
	diff("owner", before.Owner, after.Owner)
	diff("classification", string(before.Classification), string(after.Classification))
	diff("severity", before.Severity.String(), after.Severity.String())
	diff("title", before.Title, after.Title)
	if before.AlertCount != after.AlertCount {
		out = append(out, fmt.Sprintf("alerts: %d → %d", before.AlertCount, after.AlertCount))
	}
	if after.UpdatedBy != "" {
		out = append(out, "last changed by "+after.UpdatedBy)
	}
	return out
}
