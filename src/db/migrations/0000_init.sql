CREATE TABLE "compensation_ledger" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "compensation_ledger_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"workflow_id" text NOT NULL,
	"step" text NOT NULL,
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
	"shadow_version" text,
	"shadow_score" double precision,
	"reasons" jsonb NOT NULL,
	"features" jsonb NOT NULL,
	"actions" jsonb NOT NULL,
	"kafka_topic" text,
	"kafka_partition" integer,
	"kafka_offset" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
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
CREATE INDEX "compensation_ledger_wf_idx" ON "compensation_ledger" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "decision_model_idx" ON "decision" USING btree ("model_version","created_at");--> statement-breakpoint
CREATE INDEX "notification_payment_idx" ON "notification" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "payment_event_user_time_idx" ON "payment_event" USING btree ("user_id","event_time");