CREATE TABLE "replay_bad_event" (
	"replay_id" text NOT NULL,
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"offset" bigint NOT NULL,
	"code" text NOT NULL,
	"reason" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "replay_bad_event_pk" PRIMARY KEY("replay_id","topic","partition","offset")
);
--> statement-breakpoint
CREATE TABLE "replay_decision" (
	"replay_id" text NOT NULL,
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"offset" bigint NOT NULL,
	"payment_id" text NOT NULL,
	"event_time" timestamp with time zone NOT NULL,
	"model_name" text NOT NULL,
	"model_version" text NOT NULL,
	"feature_spec_version" text NOT NULL,
	"score" double precision NOT NULL,
	"threshold" double precision NOT NULL,
	"decision" text NOT NULL,
	"reasons" jsonb NOT NULL,
	"features" jsonb NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"matches_feature_log" boolean,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "replay_decision_pk" PRIMARY KEY("replay_id","topic","partition","offset")
);
--> statement-breakpoint
CREATE TABLE "replay_report" (
	"replay_id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"topic" text NOT NULL,
	"model_name" text,
	"model_version" text,
	"feature_spec_version" text,
	"report" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "replay_decision_payment_idx" ON "replay_decision" USING btree ("payment_id");