import { z } from "zod";

export const InstanceIdSchema = z
  .string()
  .regex(/^i-[0-9a-f]{8}([0-9a-f]{9})?$/, "an EC2 instance id looks like i-0123456789abcdef0")
  .describe("EC2 instance id");

export const NodeNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "a Kubernetes node name is a lowercase DNS name")
  .describe("Kubernetes node name, e.g. ip-10-0-12-34.ec2.internal");

export const NodeRefSchema = z
  .object({
    name: NodeNameSchema.optional(),
    instanceId: InstanceIdSchema.optional(),
  })
  .refine((n) => n.name !== undefined || n.instanceId !== undefined, {
    message: "a node needs a name or an instance id",
  })
  .describe("A node, by Kubernetes name and/or EC2 instance id");
export type NodeRef = z.infer<typeof NodeRefSchema>;
