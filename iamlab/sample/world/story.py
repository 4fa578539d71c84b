"""The sample_data/README.md text (kept in code so a wheel carries it)."""

STORY = """\
# The sample investigation: Larkspur Analytics, 9-12 March 2026

This folder is **synthetic** evidence written by `iamlab sample` (seed 20261128).
Regenerate it with `iamlab sample sample_data --force`; check it with
`iamlab sample --check sample_data`. Any size: `iamlab sample /tmp/big --events 2000000`
(the background traffic grows, the scenarios stay the same).

## The company

Larkspur Analytics sells order analytics to retailers. Its AWS organization
(`o-7kq2m9xw4r`, all features, SCPs and RCPs enabled):

| account | id | OU | what runs there |
|---|---|---|---|
| larkspur-management | 480152067923 | Root | Identity Center, the organization trail, finance reporting, the CI release pipeline |
| larkspur-prod | 731926485017 | Workloads/Prod | `orders-api` (Lambda + DynamoDB + SQS/SNS), the data lake (S3, Athena, Glue, KMS), nightly ETL on Fargate, a legacy on-premises reporting integration |
| larkspur-dev | 264830159726 | Workloads/NonProd | developers (IAM users with a permissions boundary), `invoice-render` (Lambda), Terraform CI |
| larkspur-security | 905173628441 | Security | security tooling, GuardDuty findings, the CloudTrail log bucket, a red-team canary role |
| larkspur-sandbox | 583016249871 | Sandbox | the data team's old standalone experiment account, invited into the organization on 12 March 17:20 UTC |

Regions: eu-west-1 (home), eu-central-1 (DR), us-east-1 (global services), us-west-2 (a test stack),
and from 12 March eu-north-1 in the security account only (the GuardDuty and Security Hub rollout).
Organization policies: `FullAWSAccess` and `RCPFullAWSAccess` at the root (as in every org),
`baseline-guardrails` (root), `approved-regions-only` (Workloads OU) and the RCP
`secrets-network-perimeter` (Prod OU: Secrets Manager only from the office network
203.0.113.0/26 or the prod VPC).

People: **Priya Nair** and **Luis Ortega** (data engineers, Identity Center permission set
DataEngineer in prod), **Kofi Mensah** (on-call, ReadOnly), **Sam Okafor** (platform admin),
**Dana Kim** and **Tom Reyes** (developers, IAM users in dev; Dana has the DeveloperBoundary),
**Ana Silva** (security; assumes IncidentResponder in prod), **Jonas Berg** (red team). People
sign in through Identity Center: each session is issued by an `AssumeRoleWithSAML` in the account.
Outside: **Brightline BI** (account 418295736104), a partner that pulls exports from S3.

## The evidence

- `snapshot/`: the IAM snapshot taken on 12 March 18:00 UTC (AWS CLI output shapes), with each
  account's `trails.json` (`describe-trails`) and `trail-status/` (`get-trail-status`): every account,
  the sandbox included, sees only the organization trail (all Regions, logging since 10 March 23:52).
- `cloudtrail/AWSLogs/...`: the trail files. Until 11 March 00:00 UTC each account had its own
  trail (`AWSLogs/<account>/CloudTrail/...`, no log file validation); from then on the
  organization trail delivers (`AWSLogs/o-7kq2m9xw4r/<account>/CloudTrail/...`, with hourly
  `CloudTrail-Digest` files). Each event is delivered once. One `CloudTrail-Insight` file
  reports the burst of Secrets Manager errors on 11 March evening. Loaders must skip digest
  and Insight files.
- `lookup-events/<account>-<region>.json`: what `aws cloudtrail lookup-events` returned for
  prod/eu-west-1 (11 March 10:00-20:00), dev/eu-west-1 (10 March 10:00-17:00) and
  dev/us-east-1 (10 March 08:00-17:00): management events only.
- `lake/`: a CloudTrail Lake query over the organization event data store for every event
  with an error code (`get-query-results.json`, the saved `result_0.csv.gz`, `query.sql`).
  The same events appear in several formats with the same event ids: loaders dedupe.
- `labels.json`: the answer key, written by hand from the scenario design (never computed).

Trail files here are fewer and larger than real ones (deliveries up to 2 hours apart) to
keep the committed sample small; large samples (`--events`) use 5-minute deliveries.

## What goes wrong, and when (UTC)

**Tuesday 10 March (dev).** 08:01 Dana mistypes her console password. 10:12 Tom cannot
raise the timeout of `invoice-render` (*missing-action*: DeveloperAccess has no
`lambda:UpdateFunctionConfiguration`); 10:55 he looks for a function that does not exist yet
and 11:02 dry-runs an instance launch (both not denials). 12:00 `invoice-render` fails to read
its template from the prod exports bucket (*resource-policy*: cross-account, the bucket policy
does not grant dev). 13:20 Tom tries to create an IAM user (*explicit-deny*: DeveloperGuardrails,
with an authorization id in the message). 14:10 Dana opens the invoice-render API key
(*permissions-boundary*: DeveloperAccess allows it, DeveloperBoundary does not); Tom reads it
fine at 14:25. 15:02 Dana tries to add an internet gateway (*explicit-deny*, EC2 encoded
message). 16:05 Tom tries to assume prod's ProdDeployer (*session-or-trust*: the trust policy's
DenyNonProductionAccounts). 16:15 Terraform signs with a rotated-out key and 16:40 is throttled
(not denials). All morning a deleted contractor's key keeps failing (InvalidClientTokenId).

**Wednesday 11 March (prod, the incident day).** 03:12 Brightline asks for another partner's
export and gets a bare `Access Denied` (*undetailed*; the replay finds the bucket policy).
06:15 the legacy reporting job reaches into raw customer data (*explicit-deny*,
`(LegacyReportingAccess).` suffix). 07:10 the reporting host asks the prod Secrets Manager
endpoint for a dev secret (*vpc-endpoint*, network activity events). 09:41 Priya opens a payroll
extract (*resource-arn*: her permission set allows GetObject, on curated/ and raw/ only). 10:05
Luis tries to decrypt with the data-lake key (*resource-policy*: the key policy does not name
the DataEngineer role). 10:35 the legacy host tries to snapshot its volume (*undetailed*: the
old EC2 message with only an encoded blob). 11:30 Luis deletes a curated partition
(*explicit-deny* in the bucket policy). 13:05 a new orders-api release queries the by-customer
index its role does not cover (*resource-arn*, retried by Lambda). 15:20 Ana assumes
IncidentResponder with a session policy and at 15:26 cannot terminate the suspicious instance
(*session-or-trust*: "explicit deny in a sessions policy"); she isolates and snapshots it
instead. 16:45 Sam tries to launch a test instance in Sydney (*org-policy*: the region SCP).
19:31 Priya's morning session has expired; 19:38 she signs in again from home and at 19:40
reads the warehouse secret (*org-policy*: the RCP network perimeter). The sessions behind these
denials were signed in that day: Luis at 07:05 and Priya at 07:14 (DataEngineer, 12 hours), Sam
at 12:14 (AdministratorAccess in dev).

**Thursday 12 March.** 03:17 someone tries console sign-ins on the management account with an
unknown user name. 06:30 finance asks for a report that does not exist yet (NoSuchKey). 10:02 Ana
turns on GuardDuty and Security Hub in eu-north-1 in the security account, the first step of
running them in every Region (the member accounts are to follow next week). 13:58 Jonas assumes
redteam-probe as `xss-canary`; 14:00 the canary puts HTML and script into user agents, object
keys and parameter names: every view must escape them (`hostile_event_ids` in labels.json).
17:20 the data team's sandbox account accepts the organization's invitation.

## Where the evidence is dark

`iamlab coverage --snapshot snapshot` on this evidence reports two holes, by design, and nothing else:

- **larkspur-sandbox (583016249871) has no event.** It never had a trail of its own, and the
  organization trail covers it only from 17:20 on 12 March, after which nobody used it. Its
  activity before joining is only in its own 90-day Event history: run `lookup-events` there.
  (Before accepting, the data team created OrganizationAccountAccessRole by hand, as an invited
  account must, so the snapshot holds its IAM.)
- **eu-north-1 is dark for management, prod and dev.** Only the security account worked there.
  The organization trail logs every Region, so dark means unused: approved-regions-only refuses
  eu-north-1 to prod and dev, but the management account is bound by no SCP and GuardDuty does
  not watch it there yet; check that nothing runs there before trusting the silence.

Every denied session's issuing call is in the evidence, no account is silent for 6 hours or
more, and the trail check finds no problem.

## Labels

`labels.json` lists each scenario with its `event_ids`, `cause` (the design's taxonomy; for
`undetailed` also `diagnosed_cause`), `principal`, `action`, `resource`, `error_code`, the
`decisive` layer/policy/statement (`sid` null for an implicit deny; `near_miss_sid` names the
statement that allows the action on other resources), and the `fix`. `decisive.account` is the
account the policy applies to (the principal's for identity, boundary, session and SCP; the
resource owner's for resource, RCP, trust and VPC endpoint). Session policies live in the
AssumeRole event listed in `context_event_ids`.
"""
