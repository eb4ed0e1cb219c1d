package handler

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
)

// MaxSummaryLen is the most characters a summary has, so it fits one chat
// message (Slack, Teams and Discord all take at least 4,000).
const MaxSummaryLen = 3900

const (
	summaryAlerts    = 8
	summaryResources = 5
)

func (h *Handler) summary(ctx context.Context, r *request) (reply, error) {
	q := queryValues(r)
	for k := range q {
		if k != "format" {
			return reply{}, badField(k, "unknown query parameter; this resource accepts format")
		}
	}
	format := "text"
	if f := values(q, "format"); len(f) > 0 {
		format = f[0]
	}
	if format != "text" && format != "markdown" || len(values(q, "format")) > 1 {
		return reply{}, badField("format", "must be text or markdown")
	}
	id := r.PathValue("id")
	inc, err := h.store.GetIncident(ctx, id)
	if err != nil {
		return reply{}, err
	}
	members, err := h.store.IncidentMembers(ctx, id)
	if err != nil {
		return reply{}, err
	}
	// Every alert (at most maxActionAlerts), so the most severe are picked
	// from all of them, not from the newest page.
	alerts, err := h.allIncidentAlerts(ctx, id, maxActionAlerts)
	if err != nil {
		return reply{}, err
	}
	text := Summarize(inc, alerts, membersByAlert(members), format == "markdown", h.links(id)["self"])
	ct := "text/plain; charset=utf-8"
	if format == "markdown" {
		ct = "text/markdown; charset=utf-8"
	}
	return textReply(ct, text), nil
}

// Summarize writes a chat-ready summary of an incident in plain text or
// Markdown, at most MaxSummaryLen characters: headline, status, activity,
// kill chain, resources (with tags), description, the most severe alerts
// with why they joined, owner and a link.
func Summarize(inc incident.Incident, alerts []alert.Alert, reasons map[string]incident.Membership, markdown bool, link string) string {
	var b strings.Builder
	bold := func(s string) string {
		if markdown {
			return "**" + escapeMD(s) + "**"
		}
		return s
	}
	plain := func(s string) string {
		if markdown {
			return escapeMD(s)
		}
		return s
	}
	bullet := "- "
	fmt.Fprintf(&b, "%s\n", bold(fmt.Sprintf("[%s] %s", inc.Severity, inc.Title)))
	fmt.Fprintf(&b, "Status: %s", inc.Status)
	if inc.Classification != "" {
		fmt.Fprintf(&b, " (%s)", inc.Classification)
	}
	fmt.Fprintf(&b, " · Owner: %s · Alerts: %d\n", plain(orNone(inc.Owner)), inc.AlertCount)
	fmt.Fprintf(&b, "Activity: %s → %s (UTC)\n", inc.FirstActivity.UTC().Format("2006-01-02 15:04"), inc.LastActivity.UTC().Format("2006-01-02 15:04"))
	if len(inc.Tactics) > 0 {
		st := make([]string, 0, len(inc.Tactics))
		for _, t := range inc.Tactics {
			st = append(st, t.Label())
		}
		fmt.Fprintf(&b, "Kill chain: %s\n", strings.Join(st, " → "))
	}
	if len(inc.Resources) > 0 {
		fmt.Fprintf(&b, "%s\n", bold("Resources"))
		for i, res := range inc.Resources {
			if i == summaryResources {
				fmt.Fprintf(&b, "%s…and %d more\n", bullet, len(inc.Resources)-i)
				break
			}
			line := res.DisplayName()
			if res.Name != "" && res.Name != res.ID {
				line += " (" + res.ID + ")"
			}
			if res.Type != "" {
				line += ", " + res.Type
			}
			var tags []string
			for _, k := range alert.SortedTagKeys(res.Tags) {
				tags = append(tags, k+"="+res.Tags[k])
			}
			if len(tags) > 0 {
				line += " [" + strings.Join(tags, ", ") + "]"
			}
			fmt.Fprintf(&b, "%s%s\n", bullet, plain(clip(line, 200)))
		}
	}
	if inc.Description != "" {
		fmt.Fprintf(&b, "%s\n", plain(clip(inc.Description, 600)))
	}
	if len(alerts) > 0 {
		sorted := append([]alert.Alert(nil), alerts...)
		sort.SliceStable(sorted, func(i, j int) bool {
			if sorted[i].Severity != sorted[j].Severity {
				return sorted[i].Severity > sorted[j].Severity
			}
			return sorted[i].FirstSeen.Before(sorted[j].FirstSeen)
		})
		fmt.Fprintf(&b, "%s\n", bold("Alerts"))
		for i, a := range sorted {
			if i == summaryAlerts {
				fmt.Fprintf(&b, "%s…and %d more\n", bullet, max(len(sorted), inc.AlertCount)-i)
				break
			}
			line := fmt.Sprintf("%s · %s (%s)", a.Severity, a.Name, a.Provider)
			if m, ok := reasons[a.ID]; ok && m.Reason != "" {
				line += " — " + m.Reason
			}
			fmt.Fprintf(&b, "%s%s\n", bullet, plain(clip(line, 260)))
		}
	}
	out := b.String()
	tail := "Details: " + link
	if markdown {
		tail = "[Details](" + link + ")"
	}
	if max := MaxSummaryLen - utf8.RuneCountInString(tail) - 2; utf8.RuneCountInString(out) > max {
		out = string([]rune(out)[:max-1]) + "…\n"
	}
	return out + tail
}

func orNone(s string) string {
	if s == "" {
		return "unassigned"
	}
	return s
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;")

func escapeMD(s string) string { return mdEscaper.Replace(s) }
