/**
 * AWS managed policies that crossdock serves under `arn:aws:iam::aws:policy/…`, so the seeds and
 * users can attach them as they would on AWS, and the engine evaluates exactly what AWS evaluates.
 *
 * Each document is the text of the policy's default version as the AWS Managed Policy Reference
 * Guide prints it (two-space indent, `" : "` between key and value, one array item per line, keys
 * in AWS's order). Whitespace is not significant to IAM; the tokens and their order are exact.
 *
 * Where each one was read (and checked against the zoph-io/MAMIP and iann0036/iam-dataset
 * snapshots of `iam get-policy-version`, which agree on version, date and statements):
 * - AmazonEC2ContainerRegistryReadOnly v3: Managed Policy Reference Guide page (edited
 *   2019-12-10 20:56 UTC).
 * - AmazonEC2ContainerRegistryPowerUser v3: Managed Policy Reference Guide page (edited
 *   2019-12-10 20:48 UTC).
 * - AmazonEC2ContainerRegistryFullAccess v3: statements from the Amazon ECR User Guide, "AWS
 *   managed policies for Amazon Elastic Container Registry"; version and date from MAMIP and
 *   iam-dataset (2020-12-05), the Guide page itself was not available to read.
 * - AmazonEC2ContainerRegistryPullOnly v1: Managed Policy Reference Guide page (created and edited
 *   2024-10-04 16:58 UTC).
 * - IAMReadOnlyAccess v4: Managed Policy Reference Guide page (edited 2018-01-25 19:11 UTC).
 * - AdministratorAccess v1: MAMIP and iam-dataset (unchanged since 2015-02-06); the Guide page was
 *   not available to read.
 * Left out: ReadOnlyAccess (too large to be useful here) and AWSOrganizationsFullAccess (revised
 * several times since 2022; no current text could be confirmed from the Guide).
 */

/** An AWS managed policy as IAM's GetPolicy and GetPolicyVersion describe it. */
export interface ManagedPolicy {
  /** `PolicyName`. */
  readonly name: string;
  /** `arn:aws:iam::aws:policy/<path without the leading slash><name>`. */
  readonly arn: string;
  /** `Path`; `/` for every policy here (service-role policies would have their own). */
  readonly path: string;
  /** `DefaultVersionId`: the version whose document is below and that AWS evaluates. */
  readonly defaultVersionId: string;
  /** `Description`, as AWS publishes it. */
  readonly description: string;
  /** `UpdateDate`: when the default version was created (ISO 8601, UTC). */
  readonly updateDate: string;
  /** The default version's policy document, exact JSON text. */
  readonly document: string;
}

function awsManaged(
  name: string,
  defaultVersionId: string,
  updateDate: string,
  description: string,
  document: string,
): ManagedPolicy {
  return {
    name,
    arn: `arn:aws:iam::aws:policy/${name}`,
    path: '/',
    defaultVersionId,
    description,
    updateDate,
    document,
  };
}

/** Pull and browse ECR: what most instance roles and CI readers get. */
export const AMAZON_EC2_CONTAINER_REGISTRY_READ_ONLY = awsManaged(
  'AmazonEC2ContainerRegistryReadOnly',
  'v3',
  '2019-12-10T20:56:32Z',
  'Provides read-only access to Amazon EC2 Container Registry repositories.',
  `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetLifecyclePolicy",
        "ecr:GetLifecyclePolicyPreview",
        "ecr:ListTagsForResource",
        "ecr:DescribeImageScanFindings"
      ],
      "Resource" : "*"
    }
  ]
}`,
);

/** Push and pull ECR without deleting repositories or changing policies: what CI pushers get. */
export const AMAZON_EC2_CONTAINER_REGISTRY_POWER_USER = awsManaged(
  'AmazonEC2ContainerRegistryPowerUser',
  'v3',
  '2019-12-10T20:48:08Z',
  'Provides full access to Amazon EC2 Container Registry repositories, but does not allow repository deletion or policy changes.',
  `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetLifecyclePolicy",
        "ecr:GetLifecyclePolicyPreview",
        "ecr:ListTagsForResource",
        "ecr:DescribeImageScanFindings",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage"
      ],
      "Resource" : "*"
    }
  ]
}`,
);

/** All of ECR, plus the service-linked role replication needs: what registry admins get. */
export const AMAZON_EC2_CONTAINER_REGISTRY_FULL_ACCESS = awsManaged(
  'AmazonEC2ContainerRegistryFullAccess',
  'v3',
  '2020-12-05T00:04:19Z',
  'Provides administrative access to Amazon ECR resources',
  `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:*",
        "cloudtrail:LookupEvents"
      ],
      "Resource" : "*"
    },
    {
      "Effect" : "Allow",
      "Action" : [
        "iam:CreateServiceLinkedRole"
      ],
      "Resource" : "*",
      "Condition" : {
        "StringEquals" : {
          "iam:AWSServiceName" : [
            "replication.ecr.amazonaws.com"
          ]
        }
      }
    }
  ]
}`,
);

/** Pull only (including through a pull-through cache): the minimum for nodes that run images. */
export const AMAZON_EC2_CONTAINER_REGISTRY_PULL_ONLY = awsManaged(
  'AmazonEC2ContainerRegistryPullOnly',
  'v1',
  '2024-10-04T16:58:49Z',
  'Provides access to pull images from Amazon EC2 Container Registry repositories.',
  `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:GetAuthorizationToken",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchImportUpstreamImage"
      ],
      "Resource" : "*"
    }
  ]
}`,
);

/** Everything: what the seeds' administrators hold. */
export const ADMINISTRATOR_ACCESS = awsManaged(
  'AdministratorAccess',
  'v1',
  '2015-02-06T18:39:46Z',
  'Provides full access to AWS services and resources.',
  `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : "*",
      "Resource" : "*"
    }
  ]
}`,
);

/** Read IAM: lets auditors and the crossdock console inspect roles and policies. */
export const IAM_READ_ONLY_ACCESS = awsManaged(
  'IAMReadOnlyAccess',
  'v4',
  '2018-01-25T19:11:27Z',
  'Provides read only access to IAM via the AWS Management Console.',
  `{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "iam:GenerateCredentialReport",
        "iam:GenerateServiceLastAccessedDetails",
        "iam:Get*",
        "iam:List*",
        "iam:SimulateCustomPolicy",
        "iam:SimulatePrincipalPolicy"
      ],
      "Resource" : "*"
    }
  ]
}`,
);

/** Every AWS managed policy crossdock serves, for ListPolicies with `Scope=AWS`. */
export const MANAGED_POLICIES: readonly ManagedPolicy[] = [
  ADMINISTRATOR_ACCESS,
  AMAZON_EC2_CONTAINER_REGISTRY_FULL_ACCESS,
  AMAZON_EC2_CONTAINER_REGISTRY_POWER_USER,
  AMAZON_EC2_CONTAINER_REGISTRY_PULL_ONLY,
  AMAZON_EC2_CONTAINER_REGISTRY_READ_ONLY,
  IAM_READ_ONLY_ACCESS,
];

const BY_ARN = new Map(MANAGED_POLICIES.map((p) => [p.arn, p]));
const BY_NAME = new Map(MANAGED_POLICIES.map((p) => [p.name, p]));

/**
 * The managed policy an ARN names (`arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly`),
 * or, for fixtures and seeds, its bare name; matched exactly. `undefined` when crossdock does not
 * serve it, so AttachRolePolicy and friends can answer NoSuchEntity.
 */
export function managedPolicy(arnOrName: string): ManagedPolicy | undefined {
  return arnOrName.startsWith('arn:') ? BY_ARN.get(arnOrName) : BY_NAME.get(arnOrName);
}
