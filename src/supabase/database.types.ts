/**
 * The SQL functions the service-role key may call, as supabase-js's `Database`
 * type. Generated from the migrations by scripts/db-types.ts; do not edit.
 */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

export type Database = {
  public: {
    Tables: { [_ in never]: never };
    Views: { [_ in never]: never };
    Functions: {
      check_user_budget: {
        Args: {
          p_user_id: string | null;
          p_session_id: string | null;
          p_service_type: string | null;
          p_estimated_cost?: number | null;
          p_organization_id?: string | null;
          p_tier?: string | null;
          p_at?: string | null;
          p_timezone?: string | null;
          p_agent_id?: string | null;
          p_feature?: string | null;
          p_estimated_tokens?: number | null;
        };
        Returns: {
          allowed: boolean | null;
          reason: string | null;
          remaining_budget: number | null;
        };
      };
      tokensync_actor: {
        Args: Record<PropertyKey, never>;
        Returns: string;
      };
      tokensync_admin_budget_audit: {
        Args: {
          p_entity_type?: string | null;
          p_entity_id?: string | null;
          p_limit?: number | null;
        };
        Returns: Json;
      };
      tokensync_admin_budget_overview: {
        Args: {
          p_entity_type?: string | null;
          p_entity_id?: string | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_admin_organization_zones: {
        Args: {
          p_default?: string | null;
        };
        Returns: Json;
      };
      tokensync_admin_pause_agent: {
        Args: {
          p_agent_id: string | null;
          p_until?: string | null;
          p_reason?: string | null;
          p_actor?: string | null;
        };
        Returns: {
          id: string | null;
          agent_id: string | null;
          paused_at: string | null;
          paused_until: string | null;
          reason: string | null;
          paused_by: string | null;
          lifted_at: string | null;
          lifted_by: string | null;
          updated_at: string | null;
        };
      };
      tokensync_admin_reset_spend: {
        Args: {
          p_entity_type: string | null;
          p_entity_id: string | null;
          p_period?: string | null;
          p_actor?: string | null;
          p_at?: string | null;
        };
        Returns: {
          id: string | null;
          created_at: string | null;
          updated_at: string | null;
          entity_type: string | null;
          entity_id: string | null;
          daily_limit: number | null;
          monthly_limit: number | null;
          session_limit: number | null;
          alert_thresholds: number[] | null;
          breach_action: string | null;
          is_active: boolean | null;
          description: string | null;
          grace_pct: number | null;
          fail_mode: string | null;
          daily_reset_at: string | null;
          monthly_reset_at: string | null;
        };
      };
      tokensync_admin_set_limit: {
        Args: {
          p_entity_type: string | null;
          p_entity_id: string | null;
          p_daily_limit?: number | null;
          p_monthly_limit?: number | null;
          p_session_limit?: number | null;
          p_breach_action?: string | null;
          p_grace_pct?: number | null;
          p_fail_mode?: string | null;
          p_is_active?: boolean | null;
          p_actor?: string | null;
        };
        Returns: {
          id: string | null;
          created_at: string | null;
          updated_at: string | null;
          entity_type: string | null;
          entity_id: string | null;
          daily_limit: number | null;
          monthly_limit: number | null;
          session_limit: number | null;
          alert_thresholds: number[] | null;
          breach_action: string | null;
          is_active: boolean | null;
          description: string | null;
          grace_pct: number | null;
          fail_mode: string | null;
          daily_reset_at: string | null;
          monthly_reset_at: string | null;
        };
      };
      tokensync_admin_unpause_agent: {
        Args: {
          p_agent_id: string | null;
          p_actor?: string | null;
        };
        Returns: Json;
      };
      tokensync_agent_pause: {
        Args: {
          p_agent_id: string | null;
          p_at: string | null;
        };
        Returns: {
          id: string | null;
          agent_id: string | null;
          paused_at: string | null;
          paused_until: string | null;
          reason: string | null;
          paused_by: string | null;
          lifted_at: string | null;
          lifted_by: string | null;
          updated_at: string | null;
        };
      };
      tokensync_alert_severity: {
        Args: {
          p_threshold_pct: number | null;
        };
        Returns: string;
      };
      tokensync_alert_usage: {
        Args: {
          p_at: string | null;
          p_timezone: string | null;
          p_limit_zones: Json | null;
        };
        Returns: Json;
      };
      tokensync_apply_acknowledgement: {
        Args: {
          p_alert_id: string | null;
          p_acknowledged: boolean | null;
          p_editor: string | null;
          p_edited_at: string | null;
          p_page_id: string | null;
        };
        Returns: Json;
      };
      tokensync_apply_acknowledgements: {
        Args: {
          p_edits: Json | null;
        };
        Returns: Json;
      };
      tokensync_apply_budget_edit: {
        Args: {
          p_limit_id: string | null;
          p_edit: Json | null;
          p_editor: string | null;
          p_edited_at: string | null;
          p_page_id: string | null;
        };
        Returns: Json;
      };
      tokensync_apply_budget_edits: {
        Args: {
          p_edits: Json | null;
        };
        Returns: Json;
      };
      tokensync_apply_costs: {
        Args: {
          p_costs: Json | null;
        };
        Returns: Json;
      };
      tokensync_apply_model_pricing: {
        Args: {
          p_rows: Json | null;
        };
        Returns: Json;
      };
      tokensync_budget_decide: {
        Args: {
          p_request: Json | null;
          p_hold: boolean | null;
          p_at: string | null;
          p_timezone: string | null;
        };
        Returns: Json;
      };
      tokensync_budget_edit_problem: {
        Args: {
          p_field: string | null;
          p_value: Json | null;
        };
        Returns: string;
      };
      tokensync_budget_housekeeping: {
        Args: {
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_budget_item: {
        Args: {
          p_limit: Json | null;
          p_period: string | null;
          p_period_start: string | null;
          p_session_id: string | null;
          p_spent: number | null;
          p_limit_amount: number | null;
        };
        Returns: Json;
      };
      tokensync_budget_question: {
        Args: {
          p_request: Json | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_budget_status: {
        Args: {
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_changed_rows: {
        Args: {
          p_dataset: string | null;
          p_after_updated_at?: string | null;
          p_after_id?: string | null;
          p_limit?: number | null;
          p_settle_ms?: number | null;
        };
        Returns: Json;
      };
      tokensync_claim_past_periods: {
        Args: {
          p_at: string | null;
          p_zones: string[] | null;
        };
        Returns: {
          timezone: string | null;
          period: string | null;
          period_start: string | null;
          period_end: string | null;
        }[];
      };
      tokensync_compact_spend: {
        Args: {
          p_since?: string | null;
        };
        Returns: Json;
      };
      tokensync_content_hash_sql: {
        Args: {
          p_columns: Json | null;
        };
        Returns: string;
      };
      tokensync_dataset_relation: {
        Args: {
          p_dataset: string | null;
        };
        Returns: string;
      };
      tokensync_dataset_table: {
        Args: {
          p_dataset: string | null;
        };
        Returns: string;
      };
      tokensync_day_is_closed: {
        Args: {
          p_day: string | null;
          p_timezone: string | null;
          p_horizon: string | null;
        };
        Returns: boolean;
      };
      tokensync_edit_cursor: {
        Args: {
          p_dataset: string | null;
        };
        Returns: string;
      };
      tokensync_entity_column: {
        Args: {
          p_entity_type: string | null;
        };
        Returns: string;
      };
      tokensync_entity_day_and_month: {
        Args: {
          p_entity_type: string | null;
          p_entity_id: string | null;
          p_day_from: string | null;
          p_day_to: string | null;
          p_month_from: string | null;
          p_month_to: string | null;
          p_at: string | null;
        };
        Returns: {
          day_spent: number | null;
          day_held: number | null;
          month_spent: number | null;
          month_held: number | null;
        }[];
      };
      tokensync_entity_estimated_spend: {
        Args: {
          p_entity_type: string | null;
          p_entity_id: string | null;
          p_from: string | null;
          p_to: string | null;
          p_session_id?: string | null;
        };
        Returns: number;
      };
      tokensync_entity_sessions: {
        Args: {
          p_entity_type: string | null;
          p_entity_id: string | null;
          p_since: string | null;
          p_at: string | null;
        };
        Returns: {
          session_id: string | null;
          started_at: string | null;
          spent: number | null;
        }[];
      };
      tokensync_entity_spend: {
        Args: {
          p_entity_type: string | null;
          p_entity_id: string | null;
          p_from: string | null;
          p_to: string | null;
          p_session_id?: string | null;
        };
        Returns: number;
      };
      tokensync_entity_standing: {
        Args: {
          p_entity_type: string | null;
          p_entity_id: string | null;
          p_from: string | null;
          p_to: string | null;
          p_at: string | null;
          p_session_id?: string | null;
        };
        Returns: {
          spent: number | null;
          tokens: number | null;
          held: number | null;
          held_tokens: number | null;
        }[];
      };
      tokensync_entity_zone: {
        Args: {
          p_entity_type: string | null;
          p_entity_id: string | null;
          p_default: string | null;
          p_organization_id?: string | null;
        };
        Returns: string;
      };
      tokensync_estimate_note: {
        Args: {
          p_estimated: number | null;
          p_lead?: string | null;
        };
        Returns: string;
      };
      tokensync_evaluate_alerts: {
        Args: {
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_expand_truncate_marks: {
        Args: {
          p_timezone: string | null;
          p_horizon: string | null;
        };
        Returns: undefined;
      };
      tokensync_fail_closed_limits: {
        Args: Record<PropertyKey, never>;
        Returns: Json;
      };
      tokensync_format_usd: {
        Args: {
          p_amount: number | null;
        };
        Returns: string;
      };
      tokensync_has_organization_zones: {
        Args: Record<PropertyKey, never>;
        Returns: boolean;
      };
      tokensync_keyset_table: {
        Args: {
          p_dataset: string | null;
          p_after_updated_at: string | null;
          p_after_id: string | null;
          p_limit: number | null;
        };
        Returns: string;
      };
      tokensync_late_note: {
        Args: {
          p_period: string | null;
          p_period_end: string | null;
          p_timezone: string | null;
        };
        Returns: string;
      };
      tokensync_limit_period_start: {
        Args: {
          p_limit: Json | null;
          p_period: string | null;
          p_at: string | null;
          p_timezone: string | null;
        };
        Returns: string;
      };
      tokensync_limit_usage: {
        Args: {
          p_limit: Json | null;
          p_session_id: string | null;
          p_at: string | null;
          p_timezone: string | null;
        };
        Returns: {
          period: string | null;
          period_start: string | null;
          spent: number | null;
          limit_amount: number | null;
        }[];
      };
      tokensync_limit_zones: {
        Args: {
          p_timezone: string | null;
        };
        Returns: Json;
      };
      tokensync_local_day_bounds: {
        Args: {
          p_from: string | null;
          p_to: string | null;
          p_timezone: string | null;
        };
        Returns: {
          range_start: string | null;
          range_end: string | null;
        }[];
      };
      tokensync_local_shift: {
        Args: {
          p_at: string | null;
          p_shift: string | null;
          p_timezone: string | null;
        };
        Returns: string;
      };
      tokensync_lock_rollups: {
        Args: Record<PropertyKey, never>;
        Returns: undefined;
      };
      tokensync_log_window_commit: {
        Args: {
          p_after_updated_at: string | null;
          p_after_id: string | null;
          p_left_out: number | null;
          p_timezone?: string | null;
          p_at?: string | null;
        };
        Returns: Json;
      };
      tokensync_log_window_forget: {
        Args: Record<PropertyKey, never>;
        Returns: number;
      };
      tokensync_log_window_pending: {
        Args: Record<PropertyKey, never>;
        Returns: Json;
      };
      tokensync_log_window_plan: {
        Args: {
          p_columns: Json | null;
          p_salt: string | null;
          p_created_after: string | null;
          p_pick: number | null;
          p_budget: number | null;
          p_scan_limit?: number | null;
          p_settle_ms?: number | null;
          p_may_create?: boolean | null;
        };
        Returns: Json;
      };
      tokensync_log_window_record: {
        Args: {
          p_rows: Json | null;
          p_timezone?: string | null;
          p_at?: string | null;
        };
        Returns: number;
      };
      tokensync_log_window_release: {
        Args: {
          p_slots: Json | null;
          p_gone?: Json | null;
        };
        Returns: number;
      };
      tokensync_log_window_resolve: {
        Args: {
          p_found: Json | null;
        };
        Returns: number;
      };
      tokensync_log_window_status: {
        Args: {
          p_budget: number | null;
          p_created_after?: string | null;
          p_timezone?: string | null;
          p_at?: string | null;
        };
        Returns: Json;
      };
      tokensync_log_window_take: {
        Args: {
          p_capacity: number | null;
          p_rate: number | null;
          p_take: number | null;
          p_force?: boolean | null;
          p_now?: string | null;
        };
        Returns: number;
      };
      tokensync_log_window_to_trim: {
        Args: {
          p_created_before: string | null;
          p_budget: number | null;
          p_limit: number | null;
        };
        Returns: Json;
      };
      tokensync_log_window_trimmed: {
        Args: {
          p_slots: Json | null;
          p_budget: number | null;
        };
        Returns: number;
      };
      tokensync_model_pricing: {
        Args: Record<PropertyKey, never>;
        Returns: Json;
      };
      tokensync_models_seen: {
        Args: {
          p_from: string | null;
        };
        Returns: Json;
      };
      tokensync_notion_creation_hold: {
        Args: {
          p_dataset: string | null;
          p_after_updated_at: string | null;
          p_after_id: string | null;
        };
        Returns: undefined;
      };
      tokensync_notion_creation_may_create: {
        Args: {
          p_dataset: string | null;
          p_every_ms: number | null;
        };
        Returns: string;
      };
      tokensync_notion_creation_resume: {
        Args: Record<PropertyKey, never>;
        Returns: Json;
      };
      tokensync_notion_creation_rewind: {
        Args: {
          p_dataset: string | null;
        };
        Returns: boolean;
      };
      tokensync_notion_creation_status: {
        Args: Record<PropertyKey, never>;
        Returns: Json;
      };
      tokensync_notion_creation_stop: {
        Args: {
          p_request_id: string | null;
          p_message: string | null;
        };
        Returns: Json;
      };
      tokensync_notion_unpause_wanted: {
        Args: {
          p_limit: Json | null;
          p_edit: Json | null;
          p_page_synced_at: string | null;
        };
        Returns: {
          id: string | null;
          agent_id: string | null;
          paused_at: string | null;
          paused_until: string | null;
          reason: string | null;
          paused_by: string | null;
          lifted_at: string | null;
          lifted_by: string | null;
          updated_at: string | null;
        };
      };
      tokensync_past_period_usage: {
        Args: {
          p_periods: Json | null;
          p_at: string | null;
          p_limit_zones: Json | null;
        };
        Returns: Json;
      };
      tokensync_pause_agent_internal: {
        Args: {
          p_agent_id: string | null;
          p_until: string | null;
          p_reason: string | null;
          p_actor: string | null;
          p_at: string | null;
        };
        Returns: {
          id: string | null;
          agent_id: string | null;
          paused_at: string | null;
          paused_until: string | null;
          reason: string | null;
          paused_by: string | null;
          lifted_at: string | null;
          lifted_by: string | null;
          updated_at: string | null;
        };
      };
      tokensync_pause_agent_over_grace: {
        Args: {
          p_limit: Json | null;
          p_at: string | null;
          p_timezone: string | null;
        };
        Returns: boolean;
      };
      tokensync_period_bounds: {
        Args: {
          p_period: string | null;
          p_at: string | null;
          p_timezone: string | null;
        };
        Returns: {
          period_start: string | null;
          period_end: string | null;
        }[];
      };
      tokensync_purge_logs: {
        Args: {
          p_retention_days: number | null;
          p_timezone?: string | null;
          p_batch_size?: number | null;
          p_at?: string | null;
        };
        Returns: Json;
      };
      tokensync_purging: {
        Args: Record<PropertyKey, never>;
        Returns: boolean;
      };
      tokensync_raw_usage: {
        Args: {
          p_entity_type: string | null;
          p_entity_id: string | null;
          p_from: string | null;
          p_to: string | null;
          p_session_id?: string | null;
        };
        Returns: {
          spent: number | null;
          tokens: number | null;
        }[];
      };
      tokensync_record_usage: {
        Args: {
          p_rows: Json | null;
        };
        Returns: Json;
      };
      tokensync_refresh_budget_spend: {
        Args: {
          p_at?: string | null;
          p_timezone?: string | null;
          p_min_age_ms?: number | null;
        };
        Returns: Json;
      };
      tokensync_refresh_reporting_views: {
        Args: {
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_release: {
        Args: {
          p_hold_id: string | null;
        };
        Returns: Json;
      };
      tokensync_report_figures: {
        Args: {
          p_at?: string | null;
          p_timezone?: string | null;
          p_top?: number | null;
        };
        Returns: Json;
      };
      tokensync_report_unpriced_models: {
        Args: {
          p_at: string | null;
          p_timezone: string | null;
        };
        Returns: Json;
      };
      tokensync_report_week_by: {
        Args: {
          p_at: string | null;
          p_timezone: string | null;
        };
        Returns: {
          dimension: string | null;
          name: string | null;
          model: string | null;
          spent: number | null;
          previous: number | null;
        }[];
      };
      tokensync_report_windows: {
        Args: {
          p_at: string | null;
          p_timezone: string | null;
        };
        Returns: {
          zone: string | null;
          day_from: string | null;
          upto: string | null;
          yesterday_from: string | null;
          yesterday_to: string | null;
          week_from: string | null;
          last_week_from: string | null;
          last_week_to: string | null;
          month_from: string | null;
        }[];
      };
      tokensync_reserve: {
        Args: {
          p_request: Json | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_retention_cutoff: {
        Args: {
          p_retention_days: number | null;
          p_timezone: string | null;
          p_at: string | null;
        };
        Returns: string;
      };
      tokensync_rollup_changed: {
        Args: {
          p_timezone?: string | null;
          p_max_days?: number | null;
        };
        Returns: Json;
      };
      tokensync_rollup_daily_costs: {
        Args: {
          p_from: string | null;
          p_to: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_rollup_day_set: {
        Args: {
          p_days: string[] | null;
          p_timezone: string | null;
        };
        Returns: Json;
      };
      tokensync_rollup_days: {
        Args: {
          p_from: string | null;
          p_to: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_rollup_service_performance: {
        Args: {
          p_from: string | null;
          p_to: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_rollup_workflow_analytics: {
        Args: {
          p_from: string | null;
          p_to: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_schema_status: {
        Args: Record<PropertyKey, never>;
        Returns: Json;
      };
      tokensync_select_options: {
        Args: {
          p_dataset: string | null;
          p_property: string | null;
          p_live: Json | null;
          p_values: Json | null;
          p_capacity: number | null;
        };
        Returns: Json;
      };
      tokensync_set_edit_cursor: {
        Args: {
          p_dataset: string | null;
          p_edited_after: string | null;
        };
        Returns: undefined;
      };
      tokensync_set_organization_time_zone: {
        Args: {
          p_organization_id: string | null;
          p_time_zone: string | null;
          p_default?: string | null;
        };
        Returns: Json;
      };
      tokensync_settle: {
        Args: {
          p_hold_id: string | null;
          p_row: Json | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_spend_between: {
        Args: {
          p_from: string | null;
          p_to: string | null;
        };
        Returns: number;
      };
      tokensync_spend_leaders: {
        Args: {
          p_week_by: Json | null;
          p_dimension: string | null;
          p_top: number | null;
        };
        Returns: Json;
      };
      tokensync_sync_acquire_lease: {
        Args: {
          p_dataset: string | null;
          p_owner: string | null;
          p_ttl_ms: number | null;
        };
        Returns: boolean;
      };
      tokensync_sync_advance: {
        Args: {
          p_dataset: string | null;
          p_after_updated_at: string | null;
          p_after_id: string | null;
        };
        Returns: Json;
      };
      tokensync_sync_backlog: {
        Args: {
          p_datasets: Json | null;
          p_limit?: number | null;
        };
        Returns: Json;
      };
      tokensync_sync_changes: {
        Args: {
          p_dataset: string | null;
          p_after_updated_at?: string | null;
          p_after_id?: string | null;
          p_limit?: number | null;
          p_settle_ms?: number | null;
          p_columns?: Json | null;
          p_salt?: string | null;
          p_max_changes?: number | null;
          p_created_after?: string | null;
        };
        Returns: Json;
      };
      tokensync_sync_checkpoint: {
        Args: {
          p_dataset: string | null;
        };
        Returns: Json;
      };
      tokensync_sync_claim_pages: {
        Args: {
          p_dataset: string | null;
          p_rows: Json | null;
          p_page_budget?: number | null;
          p_whole_days?: boolean | null;
        };
        Returns: Json;
      };
      tokensync_sync_evicted_through: {
        Args: {
          p_dataset: string | null;
        };
        Returns: string;
      };
      tokensync_sync_horizon: {
        Args: {
          p_settle_ms?: number | null;
        };
        Returns: string;
      };
      tokensync_sync_lookup: {
        Args: {
          p_dataset: string | null;
          p_keys: Json | null;
        };
        Returns: Json;
      };
      tokensync_sync_mark_pending: {
        Args: {
          p_dataset: string | null;
          p_rows: Json | null;
        };
        Returns: number;
      };
      tokensync_sync_mark_trashed: {
        Args: {
          p_dataset: string | null;
          p_keys: Json | null;
        };
        Returns: number;
      };
      tokensync_sync_note_failures: {
        Args: {
          p_dataset: string | null;
          p_rows: Json | null;
        };
        Returns: number;
      };
      tokensync_sync_note_properties: {
        Args: {
          p_dataset: string | null;
          p_fingerprint: string | null;
          p_salt: string | null;
        };
        Returns: boolean;
      };
      tokensync_sync_progress: {
        Args: {
          p_datasets: Json | null;
        };
        Returns: Json;
      };
      tokensync_sync_record: {
        Args: {
          p_dataset: string | null;
          p_rows: Json | null;
        };
        Returns: number;
      };
      tokensync_sync_release_lease: {
        Args: {
          p_dataset: string | null;
          p_owner: string | null;
        };
        Returns: boolean;
      };
      tokensync_sync_reset: {
        Args: {
          p_dataset: string | null;
        };
        Returns: number;
      };
      tokensync_sync_sees_writers: {
        Args: Record<PropertyKey, never>;
        Returns: boolean;
      };
      tokensync_sync_to_trash: {
        Args: {
          p_dataset: string | null;
          p_created_before: string | null;
          p_limit: number | null;
        };
        Returns: Json;
      };
      tokensync_threshold_band: {
        Args: {
          p_utilisation: number | null;
          p_thresholds: number[] | null;
        };
        Returns: number;
      };
      tokensync_unpriced_models: {
        Args: {
          p_from?: string | null;
          p_to?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_agent_budgets: {
        Args: {
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_may_run: {
        Args: {
          p_request: Json | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_models: {
        Args: {
          p_from?: string | null;
          p_to?: string | null;
          p_user_id?: string | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_operations: {
        Args: {
          p_from?: string | null;
          p_to?: string | null;
          p_user_id?: string | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_overview: {
        Args: {
          p_at?: string | null;
          p_timezone?: string | null;
          p_top?: number | null;
        };
        Returns: Json;
      };
      tokensync_usage_quota: {
        Args: {
          p_user_id?: string | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_recent: {
        Args: {
          p_user_id?: string | null;
          p_session_id?: string | null;
          p_limit?: number | null;
          p_before_created_at?: string | null;
          p_before_id?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_session: {
        Args: {
          p_session_id: string | null;
          p_user_id?: string | null;
          p_at?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_summary: {
        Args: {
          p_from?: string | null;
          p_to?: string | null;
          p_service_type?: string | null;
          p_provider?: string | null;
          p_model?: string | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_to_recost: {
        Args: {
          p_from: string | null;
          p_to?: string | null;
          p_model?: string | null;
          p_after_created_at?: string | null;
          p_after_id?: string | null;
          p_limit?: number | null;
        };
        Returns: Json;
      };
      tokensync_usage_trends: {
        Args: {
          p_days?: number | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_usage_user: {
        Args: {
          p_user_id?: string | null;
          p_at?: string | null;
          p_timezone?: string | null;
        };
        Returns: Json;
      };
      tokensync_zone_of: {
        Args: {
          p_organization_id: string | null;
          p_default: string | null;
        };
        Returns: string;
      };
      tokensync_zoned_day_bounds: {
        Args: {
          p_from: string | null;
          p_to: string | null;
          p_timezone: string | null;
        };
        Returns: {
          range_start: string | null;
          range_end: string | null;
        }[];
      };
      tokensync_zones_in_use: {
        Args: {
          p_default: string | null;
        };
        Returns: string[];
      };
    };
    Enums: { [_ in never]: never };
    CompositeTypes: { [_ in never]: never };
  };
};
