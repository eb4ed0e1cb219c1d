package guidance

import "github.com/muster-sec/muster/shared/killchain"

func rec(title, detail string) Recommendation { return Recommendation{Title: title, Detail: detail} }

// catalogue is keyed by detection type: GuardDuty finding types, Falco
// rule names and common Alertmanager alert names.
var catalogue = map[string]entry{
	"Recon:EC2/PortProbeUnprotectedPort": {
		mitigate: []string{
			"Identify the unprotected port named in the finding and the security group rule that opens it to 0.0.0.0/0 or ::/0.",
			"Restrict that inbound rule to the address ranges that need it, or remove it; block the probing IP with a network ACL deny rule if probing continues.",
			"Check the service behind the port for successful logins or exploitation from the probing IP in its logs and in VPC Flow Logs.",
		},
		prevent: []Recommendation{
			rec("Do not expose administrative ports to the internet", "Allow SSH (22), RDP (3389) and database ports only from known ranges; use AWS Systems Manager Session Manager or EC2 Instance Connect Endpoint instead of public SSH/RDP."),
			rec("Detect open security groups continuously", "Enable the AWS Config managed rules restricted-ssh and vpc-sg-open-only-to-authorized-ports (or Security Hub control EC2.19) and alert on changes."),
		},
	},
	"Recon:EC2/Portscan": {
		mitigate: []string{
			"The instance itself is scanning other hosts: isolate it in a quarantine security group and investigate the process responsible (it may be compromised).",
		},
		prevent: []Recommendation{
			rec("Restrict outbound traffic", "Use egress security group rules and VPC network firewall policies that allow only the destinations the workload needs."),
		},
	},
	"UnauthorizedAccess:EC2/SSHBruteForce": {
		mitigate: []string{
			"Block the attacking IP (network ACL deny rule or AWS Network Firewall) and restrict the instance's SSH security group rule to known ranges.",
			"Review /var/log/secure or /var/log/auth.log and the SSM/CloudTrail history for a successful login from the attacking IP; if one exists, treat the instance as compromised: isolate it, snapshot its volumes and rotate its credentials.",
			"Remove unknown keys from ~/.ssh/authorized_keys of every user on the instance.",
		},
		prevent: []Recommendation{
			rec("Disable SSH password authentication", "Set PasswordAuthentication no and PermitRootLogin no in sshd_config; use key pairs or, better, Session Manager with no inbound port at all."),
			rec("Rate-limit and ban repeated failures", "Run fail2ban or sshguard on hosts that must expose SSH, and alert on repeated failures (as the node exporter rule does)."),
		},
	},
	"UnauthorizedAccess:EC2/RDPBruteForce": {
		mitigate: []string{
			"Block the attacking IP and restrict the RDP security group rule (3389) to known ranges; check Windows Security event 4624 for a successful logon from it.",
		},
		prevent: []Recommendation{
			rec("Never expose RDP to the internet", "Use Fleet Manager / Session Manager port forwarding or a VPN, enable Network Level Authentication and an account lockout policy."),
		},
	},
	"Backdoor:EC2/C&CActivity.B!DNS": {
		mitigate: []string{
			"Isolate the instance: move it to a quarantine security group with no inbound or outbound rules (the isolate-instance playbook does this) and snapshot its EBS volumes for forensics.",
			"Find the process resolving the command-and-control domain (Route 53 Resolver query logs, process and network logs on the host) and the persistence it installed (cron, systemd units, startup scripts).",
			"Rotate every credential the instance could reach, including its instance-profile role sessions, and rebuild it from a known-good image rather than cleaning it.",
		},
		prevent: []Recommendation{
			rec("Filter DNS egress", "Enable Route 53 Resolver DNS Firewall with the AWS managed domain lists (malware, botnet C&C) in block mode for production VPCs."),
			rec("Patch and harden images", "Build instances from hardened, regularly patched AMIs and scan them with Amazon Inspector so initial footholds are harder to gain."),
		},
	},
	"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS": {
		mitigate: []string{
			"Revoke the role's active sessions now: attach the AWSRevokeOlderSessions inline policy (IAM console: Roles → Revoke active sessions) to the instance's role.",
			"Review CloudTrail for every API call made with the exfiltrated credentials from outside AWS and undo what they created or changed (new users, keys, policies, snapshots shared, data read).",
			"Treat the instance the credentials came from as compromised: isolate it and find how the credentials were read (SSRF, shell access).",
		},
		prevent: []Recommendation{
			rec("Require IMDSv2", "Set HttpTokens=required on every instance (and the account default) so SSRF cannot read instance-profile credentials from the metadata service."),
			rec("Bind role credentials to your network", "Add aws:SourceVpc / aws:EC2InstanceSourceVPC and aws:EC2InstanceSourcePrivateIPv4 conditions to the role's policies so stolen credentials fail outside the VPC."),
			rec("Least privilege for instance roles", "Give instance roles only the actions and resources the workload uses; review them with IAM Access Analyzer's unused-access findings."),
		},
	},
	"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS": {
		mitigate: []string{
			"Revoke the role's active sessions and identify the other AWS account using the credentials from CloudTrail (recipientAccountId / sourceIPAddress).",
		},
		prevent: []Recommendation{
			rec("Require IMDSv2 and restrict role use to your VPC", "HttpTokens=required and aws:EC2InstanceSourceVPC conditions stop credentials from working elsewhere."),
		},
	},
	"AttackSequence:IAM/CompromisedCredentials": {
		mitigate: []string{
			"Treat the credentials in the attack sequence as compromised: deactivate the IAM user's access keys or revoke the role's active sessions, and reset the console password and MFA of the principal.",
			"Walk the sequence's signals in CloudTrail (API calls, source IPs, user agents) and undo what the attacker created or changed: IAM users, keys, roles and trust policies, security groups, snapshots or AMIs shared outside the account.",
			"Check the resources the sequence touched (S3 objects read, secrets retrieved) to scope data exposure, and notify the data owners.",
		},
		prevent: []Recommendation{
			rec("Remove long-lived credentials", "Move people to IAM Identity Center with MFA and workloads to roles; delete unused access keys and alert on any key created outside automation."),
			rec("Detect misuse early", "Keep GuardDuty Extended Threat Detection and CloudTrail management events on in every region, and route AttackSequence findings to paging."),
		},
	},
	"Exfiltration:S3/AnomalousBehavior": {
		mitigate: []string{
			"Identify the principal and the objects read from the finding and CloudTrail S3 data events; revoke the principal's sessions or keys if the access was not expected.",
			"Block further reads with a bucket policy deny for that principal while investigating, and assess the sensitivity of the objects taken.",
		},
		prevent: []Recommendation{
			rec("Restrict bucket access to your network and organisation", "Add aws:SourceVpce / aws:PrincipalOrgID conditions to bucket policies for sensitive buckets, and grant s3:GetObject only to the roles that need it."),
			rec("Log and classify sensitive data", "Enable S3 data-event logging for sensitive buckets and Amazon Macie to know which buckets hold personal or secret data."),
		},
	},
	"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom": {
		mitigate: []string{
			"Deactivate the access key and revoke the principal's active sessions; review what it called from the listed IP address (CloudTrail) and undo unauthorised changes.",
			"Block the IP address at the edge and check other principals' activity from it.",
		},
		prevent: []Recommendation{
			rec("Restrict where keys are usable", "Condition long-lived keys on aws:SourceIp or aws:SourceVpce, or replace them with role credentials from IAM Identity Center."),
		},
	},
	"Policy:S3/BucketBlockPublicAccessDisabled": {
		mitigate: []string{
			"Re-enable S3 Block Public Access on the bucket unless it is an intentionally public website bucket, and review its bucket policy and ACLs for public grants.",
			"Find who disabled it (CloudTrail PutBucketPublicAccessBlock / DeletePublicAccessBlock) and whether any object was read anonymously since.",
		},
		prevent: []Recommendation{
			rec("Enforce Block Public Access at the account level", "Turn on account-level S3 Block Public Access and deny s3:PutBucketPublicAccessBlock / s3:PutAccountPublicAccessBlock with an SCP outside a break-glass role."),
		},
	},
	"CryptoCurrency:EC2/BitcoinTool.B!DNS": {
		mitigate: []string{
			"Isolate and stop the instance, snapshot its volumes, and terminate it after collecting evidence; check the account for other instances launched by the same principal.",
		},
		prevent: []Recommendation{
			rec("Limit who can launch compute", "Restrict ec2:RunInstances with SCPs and permission boundaries, and set billing and service-quota alarms to catch mining early."),
		},
	},
	"Trojan:EC2/DNSDataExfiltration": {
		mitigate: []string{
			"Isolate the instance and review Route 53 Resolver query logs for the encoded queries to estimate what data left.",
		},
		prevent: []Recommendation{
			rec("Block DNS tunnelling", "Route 53 Resolver DNS Firewall with query-length and domain-list rules; force all DNS through the VPC resolver."),
		},
	},
	"Terminal shell in container": {
		mitigate: []string{
			"Identify who opened the shell (kubectl exec / docker exec audit logs, the user and parent process in the Falco output) and whether it was an approved change.",
			"If not approved, stop the container and keep its filesystem for analysis; rotate secrets mounted into it.",
		},
		prevent: []Recommendation{
			rec("No interactive shells in production containers", "Use distroless or minimal images without shells, run as non-root with a read-only root filesystem, and restrict pods/exec in Kubernetes RBAC."),
		},
	},
	"SSHFailedLogins": {
		mitigate: []string{
			"Block the source IP at the network edge and confirm in the auth log that no login from it succeeded.",
		},
		prevent: []Recommendation{
			rec("Disable SSH password authentication", "Set PasswordAuthentication no and PermitRootLogin no in sshd_config; use key pairs or, better, Session Manager with no inbound port at all."),
		},
	},
}

// byTactic has at least one recommendation for every countable stage.
var byTactic = map[killchain.Stage][]Recommendation{
	killchain.PreAttack:           {rec("Shrink the attack surface", "Inventory internet-facing endpoints, close ports nobody needs and put the rest behind load balancers, WAF and AWS Shield; probing is cheap for attackers only when something answers.")},
	killchain.InitialAccess:       {rec("Harden the ways in", "Enforce MFA for every human identity, remove long-lived access keys, patch internet-facing services quickly and require key-based or brokered (Session Manager) administrative access.")},
	killchain.Persistence:         {rec("Watch for new footholds", "Alert on new IAM users, access keys, roles with trust to external accounts, Lambda functions and startup scripts; rebuild compromised hosts from images instead of cleaning them.")},
	killchain.PrivilegeEscalation: {rec("Bound privileges", "Apply permission boundaries and SCPs that deny iam:PassRole and policy-attachment actions outside automation, and remove wildcard actions from roles.")},
	killchain.DefenseEvasion:      {rec("Protect the logs", "Use an organisation CloudTrail trail with log-file validation in a separate account and an SCP denying cloudtrail:StopLogging, guardduty:Delete* and config:Stop*.")},
	killchain.CredentialAccess:    {rec("Protect credentials", "Require IMDSv2, keep secrets in Secrets Manager or Parameter Store rather than files and environment variables, and rotate them automatically.")},
	killchain.Discovery:           {rec("Limit what a foothold can see", "Scope List/Describe permissions of workload roles to what they need and segment networks so a compromised host cannot enumerate others.")},
	killchain.LateralMovement:     {rec("Segment the network", "Allow east-west traffic only between tiers that need it (security groups referencing security groups), and do not reuse SSH keys or credentials across hosts.")},
	killchain.Execution:           {rec("Control what runs", "Use minimal, immutable images, read-only filesystems and runtime detection (Falco, GuardDuty Runtime Monitoring); restrict exec into containers.")},
	killchain.Collection:          {rec("Know where sensitive data is", "Classify data stores (Amazon Macie for S3), enable data-event logging on them and restrict read access to the roles that need it.")},
	killchain.CommandAndControl:   {rec("Control egress", "Deny outbound traffic by default, route the rest through AWS Network Firewall or a proxy with domain allow-lists, and enable Route 53 Resolver DNS Firewall.")},
	killchain.Exfiltration:        {rec("Make data hard to take out", "Use VPC endpoints with endpoint policies and aws:SourceVpc / aws:ResourceOrgID conditions on bucket policies so data can only be read from inside your organisation.")},
	killchain.Impact:              {rec("Be ready to recover", "Keep immutable, cross-account backups (AWS Backup vault lock, S3 Object Lock), enable termination and deletion protection, and rehearse restores.")},
}

// byResource is keyed by lower-cased resource type.
var byResource = map[string][]Recommendation{
	"awsec2instance":   {rec("Manage EC2 instances with Systems Manager", "Patch with Patch Manager, require IMDSv2, remove public IPs where possible and reach instances through Session Manager.")},
	"awsiamaccesskey":  {rec("Replace access keys with roles", "Use IAM roles, IAM Identity Center or OIDC federation instead of long-lived access keys; rotate and alert on any key older than 90 days.")},
	"awss3bucket":      {rec("Lock down buckets", "Enable S3 Block Public Access at the account level, default encryption, versioning and server access or CloudTrail data-event logging.")},
	"awsrdsdbinstance": {rec("Keep databases private", "Disable public accessibility, require TLS and IAM authentication, and enable encryption, backups and deletion protection.")},
	"container":        {rec("Harden container workloads", "Run as non-root with dropped capabilities, scan images before deployment and pin them by digest.")},
	"host":             {rec("Harden hosts", "Apply CIS benchmarks, keep the OS patched and run host-based detection with its alerts routed to Muster.")},
}
