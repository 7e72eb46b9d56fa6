// Each policy must be able to fail: applied to a copy of the module with one deliberate flaw, it reports it.
// (Besides these, each was seen failing on a broken .tf file by hand; see docs/deploy.md.)
import assert from "node:assert/strict";
import { test } from "node:test";
import * as P from "../lib/policies.mjs";
import { loadAll } from "../lib/terraform.mjs";

async function module() {
  const { configs } = await loadAll();
  return configs.find((c) => c.name === "terraform/modules/adaptserve").clone();
}

function fails(policy, c, pattern) {
  const violations = policy(c);
  assert.ok(violations.length > 0, `${policy.name} found nothing`);
  if (pattern) assert.match(violations.join("\n"), pattern);
}

const flaws = {
  "SSH from anywhere to the instances": [P.openIngress, (c) => {
    c.resource.aws_vpc_security_group_ingress_rule.ssh = {
      security_group_id: "${aws_security_group.instance.id}", cidr_ipv4: "0.0.0.0/0", ip_protocol: "tcp", from_port: 22, to_port: 22,
    };
  }, /ssh: ingress from 0\.0\.0\.0\/0/],
  "::/0 to the load balancer on a non-listener port": [P.openIngress, (c) => {
    c.resource.aws_vpc_security_group_ingress_rule.alb_admin = {
      security_group_id: "${aws_security_group.alb.id}", cidr_ipv6: "::/0", ip_protocol: "tcp", from_port: 8080, to_port: 8080,
    };
  }, /not a listener port/],
  "world-open CIDR default": [P.openIngress, (c) => {
    c.variable.cache_client_cidrs = { description: "x", default: ["10.0.0.0/8", "0.0.0.0/0"] };
    c.resource.aws_vpc_security_group_ingress_rule.cache_from_cidrs = {
      for_each: "${toset(var.cache_client_cidrs)}", security_group_id: "${aws_security_group.cache.id}",
      cidr_ipv4: "${each.value}", ip_protocol: "tcp", from_port: 6379, to_port: 6379,
    };
  }, /cache_from_cidrs/],
  "unresolvable CIDR on the instances": [P.openIngress, (c) => {
    c.resource.aws_security_group.instance.ingress = [{ cidr_blocks: ["${data.x.y.cidr}"], from_port: 8080, to_port: 8080, protocol: "tcp" }];
  }, /unresolvable/],
  "http_tokens optional": [P.imdsv2Required, (c) => {
    c.resource.aws_launch_template.app.metadata_options[0].http_tokens = "optional";
  }, /"optional"/],
  "no metadata_options": [P.imdsv2Required, (c) => {
    delete c.resource.aws_launch_template.app.metadata_options;
  }],
  "root volume not encrypted": [P.encryptedVolumes, (c) => {
    c.resource.aws_launch_template.app.block_device_mappings[0].ebs[0].encrypted = false;
  }, /not encrypted/],
  "public policy allowed": [P.bucketPrivateEncrypted, (c) => {
    c.resource.aws_s3_bucket_public_access_block.adapters.block_public_policy = false;
  }, /block_public_policy/],
  "no encryption": [P.bucketPrivateEncrypted, (c) => {
    delete c.resource.aws_s3_bucket_server_side_encryption_configuration;
  }, /encryption/],
  "versioning suspended": [P.bucketPrivateEncrypted, (c) => {
    c.resource.aws_s3_bucket_versioning.adapters.versioning_configuration[0].status = "Suspended";
  }, /versioning/],
  "bucket policy allowing everyone": [P.bucketPrivateEncrypted, (c) => {
    c.data.aws_iam_policy_document.adapters_bucket.statement.push({
      actions: ["s3:GetObject"], resources: ["${aws_s3_bucket.adapters.arn}/adapters/*"], principals: [{ type: "*", identifiers: ["*"] }],
    });
  }, /principal "\*"/],
  "no adapters/ lifecycle": [P.adapterLifecycle, (c) => {
    c.resource.aws_s3_bucket_lifecycle_configuration.adapters.rule[0].filter[0].prefix = "";
  }],
  "s3:* action": [P.iamLeastPrivilege, (c) => {
    c.data.aws_iam_policy_document.instance.statement[0].actions = ["s3:*"];
  }, /action s3:\*/],
  "resource *": [P.iamLeastPrivilege, (c) => {
    c.data.aws_iam_policy_document.instance.statement[0].resources = ["*"];
  }, /resource "\*"/],
  "whole bucket": [P.iamLeastPrivilege, (c) => {
    c.data.aws_iam_policy_document.instance.statement[2].resources = ["${aws_s3_bucket.adapters.arn}/*"];
  }, /wildcard resource/],
  "PutMetricData without its condition": [P.iamLeastPrivilege, (c) => {
    delete c.data.aws_iam_policy_document.metrics.statement[0].condition;
  }, /resource "\*"/],
  "managed policy attached": [P.iamLeastPrivilege, (c) => {
    c.resource.aws_iam_role_policy_attachment = { ssm: { role: "x", policy_arn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" } };
  }, /managed policies/],
  "inline JSON policy": [P.iamLeastPrivilege, (c) => {
    c.resource.aws_iam_role_policy.instance.policy = '${jsonencode({Statement = [{Action = "*"}]})}';
  }, /cannot be checked/],
  "no warm pool": [P.warmPool, (c) => {
    delete c.resource.aws_autoscaling_group.app.warm_pool;
  }, /no warm_pool/],
  "desired above max": [P.asgSizes, (c) => {
    c.variable.desired_capacity.default = 9;
  }, /does not hold/],
  "min above desired": [P.asgSizes, (c) => {
    c.variable.min_size.default = 3;
  }, /does not hold/],
  "undescribed variable": [P.variablesDescribed, (c) => {
    delete c.variable.instance_type.description;
  }, /instance_type/],
};

for (const [name, [policy, flaw, pattern]] of Object.entries(flaws)) {
  test(`${policy.name} fails on: ${name}`, async () => {
    const c = await module();
    assert.deepEqual(policy(c), [], "the unmodified module must pass");
    flaw(c);
    fails(policy, c, pattern);
  });
}

test("every policy has a flaw it fails on", () => {
  const covered = new Set(Object.values(flaws).map(([p]) => p));
  for (const p of Object.values(P.POLICIES)) assert.ok(covered.has(p), `${p.name} has no failing case`);
});
