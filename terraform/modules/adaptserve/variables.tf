# Inputs of the AdaptServe module. Every variable has a description (checked by deploy-checks).

# ---------------------------------------------------------------- naming and network

variable "name" {
  description = "Name prefix of every resource (load balancer, autoscaling group, cache, roles). Lower-case letters, digits and hyphens, 3-24 characters, starting with a letter."
  type        = string
  default     = "adaptserve"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name))
    error_message = "name must be 3-24 characters of a-z, 0-9 and '-', starting with a letter (it prefixes names AWS limits to 32 characters)."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags (and propagated to the instances)."
  type        = map(string)
  default     = {}
}

variable "vpc_id" {
  description = "VPC that holds the load balancer, the instances and the cache."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "alb_subnet_ids" {
  description = "Subnets of the load balancer, in at least two availability zones (public subnets for an internet-facing ALB)."
  type        = list(string)

  validation {
    condition     = length(var.alb_subnet_ids) >= 2 && alltrue([for s in var.alb_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "alb_subnet_ids needs at least two subnet ids (subnet-...) in different availability zones."
  }
}

variable "instance_subnet_ids" {
  description = "Private subnets of the GPU instances, one or more per availability zone; the autoscaling group spreads across them. They need outbound HTTPS (NAT or VPC endpoints) for S3, SSM, CloudWatch, the OS packages and the DJL libtorch download."
  type        = list(string)

  validation {
    condition     = length(var.instance_subnet_ids) >= 2 && alltrue([for s in var.instance_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "instance_subnet_ids needs at least two subnet ids (subnet-...), in different availability zones."
  }
}

variable "cache_subnet_ids" {
  description = "Subnets of the ElastiCache replication group; null uses instance_subnet_ids."
  type        = list(string)
  default     = null

  validation {
    condition     = var.cache_subnet_ids == null ? true : length(var.cache_subnet_ids) >= 2 && alltrue([for s in var.cache_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "cache_subnet_ids is null or at least two subnet ids (subnet-...)."
  }
}

# ---------------------------------------------------------------- load balancer

variable "alb_internal" {
  description = "true: an internal load balancer (reachable from the VPC only); false: internet-facing."
  type        = bool
  default     = false
}

variable "alb_ingress_cidrs" {
  description = "IPv4 ranges allowed to reach the load balancer's listeners (80, and 443 with a certificate). The only ingress the module opens to addresses; narrow it to your clients where you can."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.alb_ingress_cidrs) > 0 && alltrue([for c in var.alb_ingress_cidrs : can(cidrhost(c, 0)) && !strcontains(c, ":")])
    error_message = "alb_ingress_cidrs must be a non-empty list of IPv4 CIDR blocks."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for an HTTPS listener on 443 (port 80 then redirects to it). null: plain HTTP on port 80 only."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null ? true : can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:...) or null."
  }
}

variable "alb_idle_timeout_seconds" {
  description = "Load balancer idle timeout. A request that trains an adapter can be silent for tens of seconds (streamed requests send training events)."
  type        = number
  default     = 300

  validation {
    condition     = var.alb_idle_timeout_seconds >= 60 && var.alb_idle_timeout_seconds <= 4000
    error_message = "alb_idle_timeout_seconds must be between 60 and 4000."
  }
}

variable "deletion_protection" {
  description = "Deletion protection of the load balancer (and no force_destroy of the adapter bucket). Turn off to destroy a test stack."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- instances

variable "instance_type" {
  description = "EC2 instance type: an NVIDIA GPU type (g4dn, g5, g6, g6e, gr6, p4d, p4de, p5, p5e, p5en)."
  type        = string
  default     = "g5.xlarge"

  validation {
    condition     = can(regex("^(g4dn|g5|g6|g6e|gr6|p4d|p4de|p5|p5e|p5en)\\.[0-9]*x?large$", var.instance_type))
    error_message = "instance_type must be an NVIDIA GPU instance type of a family the Deep Learning Base AMI supports (g4dn, g5, g6, g6e, gr6, p4d, p4de, p5, p5e, p5en)."
  }
}

variable "ami_ssm_parameter" {
  description = "SSM public parameter holding the GPU AMI id: by default the latest AWS Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 24.04, x86_64), which carries the NVIDIA driver. Read at plan time."
  type        = string
  default     = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id"

  validation {
    condition     = startswith(var.ami_ssm_parameter, "/")
    error_message = "ami_ssm_parameter must be an SSM parameter name starting with '/'."
  }
}

variable "root_device_name" {
  description = "Root device name of the AMI (/dev/sda1 for the Ubuntu Deep Learning AMIs)."
  type        = string
  default     = "/dev/sda1"

  validation {
    condition     = can(regex("^/dev/(sd[a-z][0-9]*|xvd[a-z])$", var.root_device_name))
    error_message = "root_device_name must look like /dev/sda1 or /dev/xvda."
  }
}

variable "root_volume_size_gb" {
  description = "Size of the encrypted gp3 root volume in GiB: the AMI, the JDK, the application and the CUDA libtorch (several GiB)."
  type        = number
  default     = 100

  validation {
    condition     = var.root_volume_size_gb >= 75 && var.root_volume_size_gb <= 2000
    error_message = "root_volume_size_gb must be between 75 and 2000."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the root volumes, the adapter bucket, the cache at rest and the auth-token parameter; null uses the AWS managed keys (SSE-S3 for the bucket)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN or null."
  }
}

# ---------------------------------------------------------------- application

variable "artifact_bucket" {
  description = "Existing S3 bucket holding the application artifact (a tarball of function/target/quarkus-app)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifact_bucket))
    error_message = "artifact_bucket must be an S3 bucket name."
  }
}

variable "artifact_key" {
  description = "Object key of the artifact in artifact_bucket: a .tar.gz whose top directory is quarkus-app/. The instances may read this one object only."
  type        = string

  validation {
    condition     = can(regex("^[^*?]+\\.(tar\\.gz|tgz)$", var.artifact_key)) && !startswith(var.artifact_key, "/")
    error_message = "artifact_key must be a key ending in .tar.gz or .tgz, without wildcards or a leading '/'."
  }
}

variable "artifact_sha256" {
  description = "Expected SHA-256 (hex) of the artifact; the instance refuses a tarball that does not match. null: not checked."
  type        = string
  default     = null

  validation {
    condition     = var.artifact_sha256 == null ? true : can(regex("^[0-9a-f]{64}$", var.artifact_sha256))
    error_message = "artifact_sha256 must be 64 lower-case hex digits or null."
  }
}

variable "java_package" {
  description = "Ubuntu package of the JDK the service runs on (21 or newer; the service uses jdk.incubator.vector)."
  type        = string
  default     = "openjdk-21-jdk-headless"

  validation {
    condition     = can(regex("^openjdk-(2[1-9]|[3-9][0-9])-(jdk|jre)-headless$", var.java_package))
    error_message = "java_package must be openjdk-<21 or newer>-jdk-headless (or -jre-headless)."
  }
}

variable "java_options" {
  description = "Extra JVM options (heap sizing and the like), added before the service's own."
  type        = string
  default     = "-XX:MaxRAMPercentage=50"

  validation {
    condition     = !can(regex("[\"'`$\\\\\\n]", var.java_options))
    error_message = "java_options must not contain quotes, backslashes, '$' or newlines."
  }
}

variable "pytorch_version" {
  description = "libtorch version DJL loads; must be one the pinned pytorch-engine supports (DJL 0.35.0: 2.7.1)."
  type        = string
  default     = "2.7.1"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.pytorch_version))
    error_message = "pytorch_version must look like 2.7.1."
  }
}

variable "pytorch_flavor" {
  description = "DJL PyTorch flavor (PYTORCH_FLAVOR): the CUDA build of libtorch to install, cuNNN (cu128 = CUDA 12.8 for libtorch 2.7.1)."
  type        = string
  default     = "cu128"

  validation {
    condition     = can(regex("^cu[0-9]{3}$", var.pytorch_flavor))
    error_message = "pytorch_flavor must be a CUDA flavor such as cu128."
  }
}

variable "djl_version" {
  description = "DJL version of the artifact (the pytorch-jni API version), used to fetch the matching JNI library for the CUDA flavor."
  type        = string
  default     = "0.35.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.djl_version))
    error_message = "djl_version must look like 0.35.0."
  }
}

variable "app_env" {
  description = "Extra environment of the service: any adaptserve.* key in its environment-variable form (for example ADAPTSERVE_TTT_MAX_CONCURRENT = \"4\"). The cache variables are set by the module."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.app_env : can(regex("^[A-Z_][A-Z0-9_]*$", k)) && !can(regex("[\"\\\\\\n$`%]", v))])
    error_message = "app_env keys must be upper-case environment names; values must not contain quotes, backslashes, '$', '%', '`' or newlines."
  }
}

variable "tenants" {
  description = "Tenants (X-Tenant or keys-file tenants) whose adapters live under <tenant>/adapters/ in the bucket; the instances get access to those prefixes too."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for t in var.tenants : can(regex("^[A-Za-z0-9._-]{1,64}$", t))])
    error_message = "tenants must be names of 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'."
  }
}

# ---------------------------------------------------------------- autoscaling

variable "min_size" {
  description = "Fewest in-service instances."
  type        = number
  default     = 1

  validation {
    condition     = var.min_size >= 0 && floor(var.min_size) == var.min_size
    error_message = "min_size must be a whole number >= 0."
  }
}

variable "max_size" {
  description = "Most in-service instances."
  type        = number
  default     = 6

  validation {
    condition     = var.max_size >= 1 && var.max_size >= var.min_size && floor(var.max_size) == var.max_size
    error_message = "max_size must be a whole number >= 1 and >= min_size."
  }
}

variable "desired_capacity" {
  description = "In-service instances at creation; the scaling policies own it afterwards (ignored on later applies)."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_capacity >= var.min_size && var.desired_capacity <= var.max_size
    error_message = "desired_capacity must be between min_size and max_size."
  }
}

variable "warm_pool_min_size" {
  description = "Stopped, already bootstrapped instances kept in the warm pool (JDK, application and CUDA libtorch installed, model loaded once), so a scale-out only boots them."
  type        = number
  default     = 1

  validation {
    condition     = var.warm_pool_min_size >= 0 && var.warm_pool_min_size <= 50
    error_message = "warm_pool_min_size must be between 0 and 50."
  }
}

variable "warm_pool_max_prepared_capacity" {
  description = "Most instances in service plus warm (max_group_prepared_capacity); null: max_size."
  type        = number
  default     = null

  validation {
    condition     = var.warm_pool_max_prepared_capacity == null ? true : var.warm_pool_max_prepared_capacity >= 1
    error_message = "warm_pool_max_prepared_capacity must be null or >= 1."
  }
}

variable "bootstrap_timeout_seconds" {
  description = "Launch lifecycle hook timeout: how long an instance may take to install, load the model and answer /q/health/ready before it is abandoned."
  type        = number
  default     = 1800

  validation {
    condition     = var.bootstrap_timeout_seconds >= 300 && var.bootstrap_timeout_seconds <= 7200
    error_message = "bootstrap_timeout_seconds must be between 300 and 7200."
  }
}

variable "instance_warmup_seconds" {
  description = "Seconds after which a new instance's metrics count for scaling (default_instance_warmup)."
  type        = number
  default     = 120

  validation {
    condition     = var.instance_warmup_seconds >= 0 && var.instance_warmup_seconds <= 3600
    error_message = "instance_warmup_seconds must be between 0 and 3600."
  }
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the per-instance metrics the instance agent publishes (waiting requests, running generations, trainings, cache tiers up)."
  type        = string
  default     = "AdaptServe"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#-]{1,255}$", var.metric_namespace)) && !startswith(var.metric_namespace, "AWS/")
    error_message = "metric_namespace must be a custom CloudWatch namespace (not AWS/...)."
  }
}

variable "scaling_metric_name" {
  description = "Per-instance metric for target tracking: adaptserve_generations_queued (requests waiting for a generation slot) or adaptserve_generations_active (generations running)."
  type        = string
  default     = "adaptserve_generations_queued"

  validation {
    condition     = contains(["adaptserve_generations_queued", "adaptserve_generations_active"], var.scaling_metric_name)
    error_message = "scaling_metric_name must be adaptserve_generations_queued or adaptserve_generations_active."
  }
}

variable "scaling_metric_target" {
  description = "Target value of scaling_metric_name averaged over the in-service instances (the service queues up to adaptserve.batch.max-queued = 16 by default)."
  type        = number
  default     = 4

  validation {
    condition     = var.scaling_metric_target > 0
    error_message = "scaling_metric_target must be > 0."
  }
}

variable "requests_per_target" {
  description = "Target of ALBRequestCountPerTarget: requests per instance per minute."
  type        = number
  default     = 600

  validation {
    condition     = var.requests_per_target > 0
    error_message = "requests_per_target must be > 0."
  }
}

variable "agent_interval_seconds" {
  description = "How often the instance agent reads /q/metrics, publishes the metrics and updates scale-in protection."
  type        = number
  default     = 15

  validation {
    condition     = var.agent_interval_seconds >= 5 && var.agent_interval_seconds <= 60
    error_message = "agent_interval_seconds must be between 5 and 60."
  }
}

variable "training_protection_grace_seconds" {
  description = "Scale-in protection is held while the instance trains an adapter and for this long after its last training."
  type        = number
  default     = 60

  validation {
    condition     = var.training_protection_grace_seconds >= 0 && var.training_protection_grace_seconds <= 3600
    error_message = "training_protection_grace_seconds must be between 0 and 3600."
  }
}

# ---------------------------------------------------------------- cache (ElastiCache)

variable "cache_engine" {
  description = "ElastiCache engine: redis or valkey."
  type        = string
  default     = "valkey"

  validation {
    condition     = contains(["redis", "valkey"], var.cache_engine)
    error_message = "cache_engine must be redis or valkey."
  }
}

variable "cache_engine_version" {
  description = "Engine version (valkey 7.2 or 8.0; redis 7.0 or 7.1)."
  type        = string
  default     = "8.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+$", var.cache_engine_version))
    error_message = "cache_engine_version must look like 8.0."
  }
}

variable "cache_node_type" {
  description = "ElastiCache node type. Size it for the adapters kept (count x size within the redis TTL): a rank-4 LoRA of the built-in model is a few hundred KiB; larger ones (a 135M model's rank-8 LoRA, about 10 MB) exceed redis.max-value-bytes (8 MiB) and stay in S3 and memory."
  type        = string
  default     = "cache.t4g.medium"

  validation {
    condition     = startswith(var.cache_node_type, "cache.")
    error_message = "cache_node_type must be an ElastiCache node type (cache.*)."
  }
}

variable "cache_num_nodes" {
  description = "Nodes of the replication group (primary plus replicas); 2 or more turns on automatic failover across zones."
  type        = number
  default     = 2

  validation {
    condition     = var.cache_num_nodes >= 1 && var.cache_num_nodes <= 6
    error_message = "cache_num_nodes must be between 1 and 6."
  }
}

# ---------------------------------------------------------------- adapter bucket (S3)

variable "adapter_bucket_name" {
  description = "Name of the adapter bucket the module creates; null: generated from name."
  type        = string
  default     = null

  validation {
    condition     = var.adapter_bucket_name == null ? true : can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.adapter_bucket_name))
    error_message = "adapter_bucket_name must be a DNS-style S3 bucket name (no dots) or null."
  }
}

variable "adapter_noncurrent_version_days" {
  description = "Days after which overwritten or deleted adapter versions are removed (lifecycle rule on adapters/)."
  type        = number
  default     = 30

  validation {
    condition     = var.adapter_noncurrent_version_days >= 1
    error_message = "adapter_noncurrent_version_days must be >= 1."
  }
}

variable "adapter_expiration_days" {
  description = "Optional expiry of adapters themselves, in days after creation (an expired adapter is retrained on its next request). null: kept."
  type        = number
  default     = null

  validation {
    condition     = var.adapter_expiration_days == null ? true : var.adapter_expiration_days >= 1
    error_message = "adapter_expiration_days must be null or >= 1."
  }
}

# ---------------------------------------------------------------- alarms

variable "alarm_actions" {
  description = "SNS topic ARNs notified when an alarm fires or recovers."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.alarm_actions : can(regex("^arn:aws[a-z-]*:sns:", a))])
    error_message = "alarm_actions must be SNS topic ARNs."
  }
}

variable "alarm_5xx_percent" {
  description = "Alarm when 5xx answers (target and load balancer) exceed this percentage of requests over 5 minutes."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_5xx_percent > 0 && var.alarm_5xx_percent <= 100
    error_message = "alarm_5xx_percent must be in (0, 100]."
  }
}

variable "alarm_p99_seconds" {
  description = "Alarm when the p99 target response time exceeds this many seconds for 3 of 5 minutes (requests that train an adapter take seconds)."
  type        = number
  default     = 30

  validation {
    condition     = var.alarm_p99_seconds > 0
    error_message = "alarm_p99_seconds must be > 0."
  }
}
