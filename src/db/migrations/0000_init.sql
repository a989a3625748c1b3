CREATE TABLE "compensation_ledger" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "compensation_ledger_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"workflow_id" text NOT NULL,
	"step" text NOT NULL,
	"reason" text,
	"attempt" integer NOT NULL,
	"outcome" text NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "decision" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"run_id" text NOT NULL,
	"correlation_id" text NOT NULL,
	"decision" text NOT NULL,
	"status" text NOT NULL,
	"score" double precision NOT NULL,
	"threshold" double precision NOT NULL,
	"model_name" text NOT NULL,
	"model_version" text NOT NULL,
	"fallback" boolean DEFAULT false NOT NULL,
	"fallback_reason" text,
	"feature_spec_version" text,
	"shadow_version" text,
	"shadow_score" double precision,
	"reasons" jsonb NOT NULL,
	"features" jsonb NOT NULL,
	"actions" jsonb NOT NULL,
	"compensations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"review" jsonb,
	"escalated_at" timestamp with time zone,
	"kafka_topic" text,
	"kafka_partition" integer,
	"kafka_offset" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feature_log" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"feature_spec_version" text NOT NULL,
	"features" jsonb NOT NULL,
	"vector" double precision[] NOT NULL,
	"event_time" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "label" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"source" text NOT NULL,
	"labeled_at" timestamp with time zone NOT NULL,
	"event_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification" (
	"idempotency_key" text NOT NULL,
	"payment_id" text NOT NULL,
	"channel" text NOT NULL,
	"kind" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_idempotency_key_pk" PRIMARY KEY("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "payment_event" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"amount" numeric(14, 2) NOT NULL,
	"currency" text NOT NULL,
	"event_time" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_hold" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "risk_adjustment" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"previous_score" double precision NOT NULL,
	"new_score" double precision NOT NULL,
	"reverted" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_risk_profile" (
	"user_id" text PRIMARY KEY NOT NULL,
	"risk_score" double precision DEFAULT 0.1 NOT NULL,
	"home_country" text,
	"account_created_at" timestamp with time zone,
	"known_devices" text[] DEFAULT '{}'::text[] NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "drift_report" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "drift_report_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"model_name" text NOT NULL,
	"champion_version" text,
	"report" jsonb NOT NULL,
	"dataset_drift" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_alias" (
	"model_name" text NOT NULL,
	"alias" text NOT NULL,
	"version" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_alias_model_name_alias_pk" PRIMARY KEY("model_name","alias"),
	CONSTRAINT "model_alias_alias_known" CHECK ("model_alias"."alias" in ('champion', 'shadow', 'previous'))
);
--> statement-breakpoint
CREATE TABLE "model_alias_history" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "model_alias_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"model_name" text NOT NULL,
	"alias" text NOT NULL,
	"from_version" text,
	"to_version" text,
	"actor" text NOT NULL,
	"reason" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_version" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "model_version_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"model_name" text NOT NULL,
	"version" text NOT NULL,
	"family" text NOT NULL,
	"artifact" "bytea" NOT NULL,
	"sha256" text NOT NULL,
	"feature_spec_version" text NOT NULL,
	"metrics" jsonb NOT NULL,
	"lineage" jsonb NOT NULL,
	"reference_profile" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_version_name_version_uq" UNIQUE("model_name","version"),
	CONSTRAINT "model_version_sha256_hex" CHECK ("model_version"."sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
ALTER TABLE "model_alias" ADD CONSTRAINT "model_alias_version_fk" FOREIGN KEY ("model_name","version") REFERENCES "public"."model_version"("model_name","version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "compensation_ledger_wf_idx" ON "compensation_ledger" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "decision_model_idx" ON "decision" USING btree ("model_version","created_at");--> statement-breakpoint
CREATE INDEX "notification_payment_idx" ON "notification" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "payment_event_user_time_idx" ON "payment_event" USING btree ("user_id","event_time");--> statement-breakpoint
CREATE INDEX "drift_report_name_created_idx" ON "drift_report" USING btree ("model_name","created_at");--> statement-breakpoint
CREATE INDEX "model_alias_history_name_at_idx" ON "model_alias_history" USING btree ("model_name","at");--> statement-breakpoint
CREATE INDEX "model_version_name_created_idx" ON "model_version" USING btree ("model_name","created_at");