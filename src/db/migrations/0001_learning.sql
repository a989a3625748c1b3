CREATE TABLE "approval" (
	"request_id" text PRIMARY KEY NOT NULL,
	"model_name" text NOT NULL,
	"cycle_id" text NOT NULL,
	"version" text NOT NULL,
	"status" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"deadline" timestamp with time zone NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"reason" text,
	"via" text,
	"evidence" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "learning_cycle" (
	"id" text PRIMARY KEY NOT NULL,
	"model_name" text NOT NULL,
	"workflow_id" text NOT NULL,
	"number" integer NOT NULL,
	"trigger_id" text NOT NULL,
	"trigger_kind" text NOT NULL,
	"trigger_reason" text NOT NULL,
	"phase" text NOT NULL,
	"outcome" text,
	"outcome_reason" text,
	"as_of" timestamp with time zone NOT NULL,
	"champion_at_start" text,
	"candidate_version" text,
	"training" jsonb,
	"gate" jsonb,
	"regates" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"shadow" jsonb,
	"promotion" jsonb,
	"watch" jsonb,
	"rollback" jsonb,
	"drift" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "learning_trigger" (
	"id" text PRIMARY KEY NOT NULL,
	"model_name" text NOT NULL,
	"workflow_id" text NOT NULL,
	"kind" text NOT NULL,
	"outcome" text NOT NULL,
	"reason" text NOT NULL,
	"cycle_id" text,
	"detail" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "approval_model_requested_idx" ON "approval" USING btree ("model_name","requested_at");--> statement-breakpoint
CREATE INDEX "approval_cycle_idx" ON "approval" USING btree ("cycle_id");--> statement-breakpoint
CREATE INDEX "learning_cycle_model_started_idx" ON "learning_cycle" USING btree ("model_name","started_at");--> statement-breakpoint
CREATE INDEX "learning_trigger_model_at_idx" ON "learning_trigger" USING btree ("model_name","at");