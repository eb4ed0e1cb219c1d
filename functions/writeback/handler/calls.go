package handler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"

	"github.com/muster-sec/muster/shared/deadletter"
	"github.com/muster-sec/muster/shared/writeback"
)

// SecurityHubAPI is the part of the Security Hub client write-back uses.
type SecurityHubAPI interface {
	BatchUpdateFindings(ctx context.Context, in *securityhub.BatchUpdateFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error)
}

// GuardDutyAPI is the part of the GuardDuty client write-back uses.
type GuardDutyAPI interface {
	ArchiveFindings(ctx context.Context, in *guardduty.ArchiveFindingsInput, optFns ...func(*guardduty.Options)) (*guardduty.ArchiveFindingsOutput, error)
	UnarchiveFindings(ctx context.Context, in *guardduty.UnarchiveFindingsInput, optFns ...func(*guardduty.Options)) (*guardduty.UnarchiveFindingsOutput, error)
}

var (
	_ SecurityHubAPI = (*securityhub.Client)(nil)
	_ GuardDutyAPI   = (*guardduty.Client)(nil)
)

// Batch limits of the two APIs.
const (
	maxSecurityHubBatch = 100
	maxGuardDutyBatch   = 50
)

// passingCodes are UnprocessedFindings error codes worth sending again.
var passingCodes = []string{"ConcurrentUpdateError", "InternalFailure", "LimitExceeded", "ThrottlingException"}

// refusedCodes are API error codes that no retry changes: the request
// itself is wrong.
var refusedCodes = []string{"InvalidInputException", "BadRequestException", "ValidationException", "SerializationException"}

// securityHub sets the workflow status and note of every finding, per
// region in batches of at most 100.
func (h *Handler) securityHub(ctx context.Context, findings []writeback.Finding, wf writeback.Workflow, note string) error {
	byRegion := map[string][]shtypes.AwsSecurityFindingIdentifier{}
	var regions []string
	for _, f := range findings {
		if _, ok := byRegion[f.Region]; !ok {
			regions = append(regions, f.Region)
		}
		byRegion[f.Region] = append(byRegion[f.Region], shtypes.AwsSecurityFindingIdentifier{Id: aws.String(f.ID), ProductArn: aws.String(f.ProductArn)})
	}
	var refused []string
	for _, region := range regions {
		for batch := range slices.Chunk(byRegion[region], maxSecurityHubBatch) {
			left, err := h.updateFindings(ctx, region, batch, wf, note)
			if err != nil {
				return err
			}
			refused = append(refused, left...)
		}
	}
	if len(refused) > 0 {
		return &permanentError{deadletter.Reason{Code: CodeUnprocessedFindings, Message: strings.Join(refused, "; ")}}
	}
	return nil
}

// updateFindings sends one batch, sending again the findings left
// unprocessed for a passing reason, and returns those refused for good
// ("<id>: <code>"). Findings still unprocessed for a passing reason after
// the last attempt retry the record.
func (h *Handler) updateFindings(ctx context.Context, region string, ids []shtypes.AwsSecurityFindingIdentifier, wf writeback.Workflow, note string) ([]string, error) {
	var refused []string
	for attempt := 1; len(ids) > 0; attempt++ {
		if attempt > h.opts.Attempts {
			return nil, fmt.Errorf("%d findings still unprocessed after %d attempts: %w", len(ids), h.opts.Attempts, errRetry)
		}
		out, err := h.opts.SecurityHub.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
			FindingIdentifiers: ids,
			Workflow:           &shtypes.WorkflowUpdate{Status: shtypes.WorkflowStatus(wf)},
			Note:               &shtypes.NoteUpdate{Text: aws.String(note), UpdatedBy: aws.String(writeback.NoteBy)},
		}, inRegion[securityhub.Options](region, func(o *securityhub.Options, r string) { o.Region = r }))
		if err != nil {
			return nil, callError("BatchUpdateFindings", err)
		}
		ids = ids[:0:0]
		for _, u := range out.UnprocessedFindings {
			code := aws.ToString(u.ErrorCode)
			if slices.Contains(passingCodes, code) && u.FindingIdentifier != nil {
				ids = append(ids, *u.FindingIdentifier)
				continue
			}
			refused = append(refused, fmt.Sprintf("%s: %s", findingID(u.FindingIdentifier), code))
		}
	}
	return refused, nil
}

func findingID(id *shtypes.AwsSecurityFindingIdentifier) string {
	if id == nil {
		return "?"
	}
	return aws.ToString(id.Id)
}

// guardDuty archives or unarchives the GuardDuty findings, per region and
// detector in batches of at most 50.
func (h *Handler) guardDuty(ctx context.Context, findings []writeback.Finding, op writeback.Archive) error {
	type detector struct{ region, id string }
	groups := map[detector][]string{}
	var order []detector
	for _, f := range findings {
		if f.Detector == "" {
			continue
		}
		d := detector{f.Region, f.Detector}
		if _, ok := groups[d]; !ok {
			order = append(order, d)
		}
		groups[d] = append(groups[d], f.GuardDutyID)
	}
	for _, d := range order {
		region := inRegion[guardduty.Options](d.region, func(o *guardduty.Options, r string) { o.Region = r })
		for batch := range slices.Chunk(groups[d], maxGuardDutyBatch) {
			var err error
			name := "ArchiveFindings"
			if op == writeback.UnarchiveFindings {
				name = "UnarchiveFindings"
				_, err = h.opts.GuardDuty.UnarchiveFindings(ctx, &guardduty.UnarchiveFindingsInput{DetectorId: aws.String(d.id), FindingIds: batch}, region)
			} else {
				_, err = h.opts.GuardDuty.ArchiveFindings(ctx, &guardduty.ArchiveFindingsInput{DetectorId: aws.String(d.id), FindingIds: batch}, region)
			}
			if err != nil {
				return callError(name, err)
			}
		}
	}
	return nil
}

// inRegion returns a client option sending the call to region (the
// client's own region when region is empty).
func inRegion[O any](region string, set func(*O, string)) func(*O) {
	return func(o *O) {
		if region != "" {
			set(o, region)
		}
	}
}

// callError classes a failed call: refused for good (the request is
// invalid) or worth retrying (anything else: throttling, 5xx, network,
// access denied while IAM propagates).
func callError(op string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) && slices.Contains(refusedCodes, ae.ErrorCode()) {
		return &permanentError{deadletter.Reason{Code: ae.ErrorCode(), Message: op + ": " + ae.ErrorMessage()}}
	}
	var ip smithy.InvalidParamsError
	if errors.As(err, &ip) {
		return &permanentError{deadletter.Reason{Code: "InvalidParams", Message: op + ": " + ip.Error()}}
	}
	return fmt.Errorf("%s: %w: %w", op, errRetry, err)
}
