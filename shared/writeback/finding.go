package writeback

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/muster-sec/muster/shared/alert"
)

// Finding names an alert's finding to its source.
type Finding struct {
	AlertID  string
	Provider string
	// ID and ProductArn identify the finding to Security Hub.
	ID         string
	ProductArn string
	// Region is where the finding lives (Security Hub and GuardDuty calls
	// go to that region).
	Region string
	// Detector and GuardDutyID are set for GuardDuty findings.
	Detector    string
	GuardDutyID string
}

// ErrNoIdentity is returned for an alert of a written-back source whose
// finding cannot be named (no ARN, no product ARN).
var ErrNoIdentity = errors.New("finding cannot be identified")

// Writable reports whether alerts of provider are written back at all.
func Writable(provider string) bool {
	return provider == alert.ProviderSecurityHub || provider == alert.ProviderGuardDuty
}

// FindingOf names a's finding. The Security Hub product ARN comes from the
// stored raw ASFF when it holds one; otherwise a GuardDuty finding's is
// GuardDuty's product in the finding's region, and a Security Hub
// finding whose Id is a Security Hub ARN is Security Hub's own product.
func FindingOf(a alert.Alert) (Finding, error) {
	f := Finding{AlertID: a.ID, Provider: a.Provider, ID: a.SourceID, ProductArn: rawProductArn(a.Raw)}
	switch a.Provider {
	case alert.ProviderGuardDuty:
		arn, ok := parseARN(a.SourceID)
		det, fid, found := strings.Cut(strings.TrimPrefix(arn.resource, "detector/"), "/finding/")
		if !ok || arn.service != "guardduty" || !found || det == "" || fid == "" {
			return f, fmt.Errorf("alert %s sourceId %q: want a GuardDuty finding ARN: %w", a.ID, a.SourceID, ErrNoIdentity)
		}
		f.Region, f.Detector, f.GuardDutyID = arn.region, det, fid
		if f.ProductArn == "" {
			f.ProductArn = fmt.Sprintf("arn:%s:securityhub:%s::product/aws/guardduty", arn.partition, arn.region)
		}
	case alert.ProviderSecurityHub:
		if f.ProductArn == "" {
			if arn, ok := parseARN(a.SourceID); ok && arn.service == "securityhub" {
				f.ProductArn = fmt.Sprintf("arn:%s:securityhub:%s::product/aws/securityhub", arn.partition, arn.region)
			}
		}
		if arn, ok := parseARN(f.ProductArn); ok {
			f.Region = arn.region
		}
		if f.ProductArn == "" || f.Region == "" || f.ID == "" {
			return f, fmt.Errorf("alert %s: no Security Hub ProductArn in its raw finding or sourceId: %w", a.ID, ErrNoIdentity)
		}
	default:
		return f, fmt.Errorf("alert %s provider %q: not written back: %w", a.ID, a.Provider, ErrNoIdentity)
	}
	return f, nil
}

// rawProductArn reads ProductArn from a raw ASFF finding ("" when there is
// none or the raw payload was not kept).
func rawProductArn(raw json.RawMessage) string {
	var f struct {
		ProductArn string `json:"ProductArn"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &f) != nil {
		return ""
	}
	return f.ProductArn
}

type arnParts struct{ partition, service, region, account, resource string }

func parseARN(s string) (arnParts, bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[1] == "" || p[3] == "" {
		return arnParts{}, false
	}
	return arnParts{partition: p[1], service: p[2], region: p[3], account: p[4], resource: p[5]}, true
}
