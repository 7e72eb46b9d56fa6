// Every .tf under terraform/ parses, and the policies of lib/policies.mjs hold for every configuration: each module
// on its defaults, and each module again with the arguments an example passes it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { POLICIES } from "../lib/policies.mjs";
import { checkedConfigs, loadAll } from "../lib/terraform.mjs";

test("every .tf file under terraform/ parses (hcl2json)", async () => {
  const { files, configs } = await loadAll(); // throws, naming the file, on a syntax error
  assert.ok(files.length >= 10, `only ${files.length} .tf files found`);
  assert.ok(configs.some((c) => c.name === "terraform/modules/adaptserve"), "terraform/modules/adaptserve missing");
  assert.ok(configs.some((c) => c.name === "terraform/examples/basic"), "terraform/examples/basic missing");
});

test("the checks are not vacuous: the module has what they inspect", async () => {
  const { configs } = await loadAll();
  const m = configs.find((c) => c.name === "terraform/modules/adaptserve");
  for (const type of [
    "aws_lb",
    "aws_lb_listener",
    "aws_vpc_security_group_ingress_rule",
    "aws_launch_template",
    "aws_autoscaling_group",
    "aws_s3_bucket",
    "aws_iam_role_policy",
    "aws_elasticache_replication_group",
    "aws_cloudwatch_metric_alarm",
  ]) {
    assert.ok(m.blocks(type).length > 0, `no ${type} in the module`);
  }
  assert.ok(m.blocks("aws_iam_policy_document", "data").length >= 3, "no IAM policy documents");
  const examples = (await checkedConfigs()).filter((x) => x.label.includes(" as module."));
  assert.ok(examples.length > 0, "no example calls the module");
});

for (const [name, policy] of Object.entries(POLICIES)) {
  test(`policy: ${name}`, async () => {
    const violations = [];
    for (const { label, config } of await checkedConfigs()) {
      for (const v of policy(config)) violations.push(`${label}: ${v}`);
    }
    assert.deepEqual(violations, []);
  });
}

test("docs/deploy.md lists every variable of the module", async () => {
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { REPO } = await import("../lib/terraform.mjs");
  const doc = readFileSync(join(REPO, "docs", "deploy.md"), "utf8");
  const { configs } = await loadAll();
  const m = configs.find((c) => c.name === "terraform/modules/adaptserve");
  const missing = Object.keys(m.variable).filter((v) => !doc.includes(`| \`${v}\` |`));
  assert.deepEqual(missing, []);
});
