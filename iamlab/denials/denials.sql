-- iamlab denials: classify and parse every event's error in bulk, in DuckDB.
--
-- The SQL twin of iamlab/denials/parse.py: same steps, same patterns. Rendered
-- by iamlab/denials/sql.py, which replaces each {{NAME}} with a SQL string
-- literal of the constant NAME in iamlab/denials/grammar.py (code, never input)
-- and {{TEMP}} with TEMP or nothing.
--
-- error_events: every event with an errorCode or errorMessage, its effective
--               code (given, or pasted inside CLI/SDK text) and is_denial.
-- denials:      the denials among them, with the parsed message fields.

CREATE OR REPLACE {{TEMP}} VIEW error_events AS
WITH src AS (
    SELECT event_id, event_time, principal_arn, event_source, event_name, aws_region,
           account_id, recipient_account_id, error_code, error_message,
           left(coalesce(error_message, ''), {{MAX_MESSAGE}}) AS msg,
           nullif(trim(coalesce(error_code, ''), {{WS_CHARS}}), '') AS code_in
    FROM events
    WHERE error_code IS NOT NULL OR error_message IS NOT NULL
), coded AS (
    SELECT *,
           coalesce(code_in,
                    nullif(regexp_extract(msg, {{RE_WRAPPER_CODE}}, 1), ''),
                    nullif(regexp_extract(msg, {{RE_WRAPPER_CODE}}, 2), '')) AS code
    FROM src
)
SELECT *,
       CASE WHEN code IS NOT NULL AND regexp_full_match(code, {{RE_DENIAL_CODE}}) THEN true
            WHEN code IS NOT NULL AND regexp_full_match(code, {{RE_NOT_DENIAL_CODE}}) THEN false
            ELSE regexp_matches(msg, {{RE_DENIAL_MESSAGE}})
       END AS is_denial
FROM coded;

CREATE OR REPLACE {{TEMP}} VIEW denials AS
WITH split AS (
    SELECT *,
           contains(msg, {{MARK}}) AS has_grammar,
           regexp_extract(msg, {{RE_SPLIT}}, ['head', 'tail']) AS sp
    FROM error_events
    WHERE is_denial
), act AS (
    SELECT *,
           CASE WHEN has_grammar THEN nullif(regexp_extract(sp.head, {{RE_PRINCIPAL}}, 1), '') END
               AS principal,
           regexp_extract(sp.tail, {{RE_ACTION}}, ['tok', 'rest']) AS ac
    FROM split
), res AS (
    SELECT *,
           has_grammar AND starts_with(ac.rest, {{ON_RESOURCE}}) AS on_res,
           CASE WHEN has_grammar AND starts_with(ac.rest, {{ON_RESOURCE}})
                THEN substr(ac.rest, length({{ON_RESOURCE}}) + 1) END AS rs
    FROM act
), res2 AS (
    SELECT *,
           on_res AND starts_with(rs, '"') AS quoted,
           CASE WHEN on_res AND starts_with(rs, '"')
                THEN regexp_extract(rs || ' ', {{RE_QUOTED}}, ['open', 'res', 'after']) END AS q,
           CASE WHEN on_res AND NOT starts_with(rs, '"')
                THEN regexp_extract(rs, {{RE_CTX_SPLIT}}, ['res', 'ctx']) END AS u,
           CASE WHEN on_res AND NOT starts_with(rs, '"')
                THEN regexp_extract(rs, {{RE_TOKEN_REST}}, ['tok', 'rest']) END AS t
    FROM res
), zoned AS (
    SELECT *,
           CASE WHEN NOT on_res THEN NULL
                WHEN quoted THEN CASE WHEN q.open = '"' THEN nullif(q.res, '')
                                      ELSE nullif(substr(rs, 2), '') END
                WHEN u.ctx <> '' THEN nullif(u.res, '')
                ELSE nullif(CASE WHEN ends_with(t.tok, '.') AND NOT ends_with(t.tok, '..')
                                 THEN left(t.tok, length(t.tok) - 1) ELSE t.tok END, '')
           END AS resource,
           CASE WHEN NOT has_grammar THEN msg
                WHEN NOT on_res THEN
                    CASE WHEN starts_with(ac.rest, {{ON_THIS_RESOURCE}})
                         THEN substr(ac.rest, length({{ON_THIS_RESOURCE}}) + 1)
                         ELSE ac.rest END
                WHEN quoted THEN CASE WHEN q.open = '"' THEN q.after ELSE '' END
                WHEN u.ctx <> '' THEN u.ctx
                ELSE t.rest
           END AS zone
    FROM res2
), ctxd AS (
    SELECT *, regexp_extract(' ' || zone, {{RE_CTX_SPLIT}}, 2) AS ctx
    FROM zoned
), typed AS (
    SELECT *,
           CASE WHEN starts_with(ctx, {{EXPLICIT_START}}) THEN 'explicit'
                WHEN starts_with(ctx, {{IMPLICIT_START}}) THEN 'implicit' END AS deny,
           CASE WHEN starts_with(ctx, {{EXPLICIT_START}})
                THEN regexp_extract(ctx, {{RE_EXPLICIT}}, ['phrase', 'arn'])
                WHEN starts_with(ctx, {{IMPLICIT_START}})
                THEN {'phrase': regexp_extract(ctx, {{RE_IMPLICIT}}, 1),
                      'arn': regexp_extract(ctx, {{RE_IMPLICIT_ARN}}, 1)}
                ELSE {'phrase': '', 'arn': ''} END AS pa
    FROM ctxd
), typed2 AS (
    SELECT *,
           coalesce({{POLICY_TYPE_CASE}},
                    CASE WHEN code = 'VpceAccessDenied' OR contains(zone, {{VPCE_SENTENCE}})
                         THEN 'vpc_endpoint' END) AS policy_type
    FROM typed
), parsed AS MATERIALIZED (
    -- MATERIALIZED: a barrier for filter pushdown. Without it a filter on cause
    -- is rewritten through every step above and takes DuckDB seconds to plan.
    SELECT event_id, event_time, principal_arn, event_source, event_name, aws_region,
       account_id, recipient_account_id, error_code, error_message,
       is_denial,
       principal,
       nullif(CASE WHEN NOT has_grammar THEN ''
                   WHEN ends_with(ac.tok, '.') AND NOT ends_with(ac.tok, '..')
                   THEN left(ac.tok, length(ac.tok) - 1) ELSE ac.tok END, '') AS action,
       resource,
       policy_type,
       deny,
       nullif(CASE WHEN ends_with(pa.arn, '.') AND NOT ends_with(pa.arn, '..')
                   THEN left(pa.arn, length(pa.arn) - 1) ELSE pa.arn END, '') AS policy_arn,
       coalesce(
           nullif(CASE WHEN ends_with(auth.tok, '.') AND NOT ends_with(auth.tok, '..')
                       THEN left(auth.tok, length(auth.tok) - 1) ELSE auth.tok END, ''),
           nullif(regexp_extract(zone, {{RE_AUTH_URL}}, 1), '')) AS authorization_id,
       nullif(regexp_extract(zone, {{RE_ENCODED}}, 1), '') AS encoded_message
    FROM (SELECT *, {'tok': regexp_extract(zone, {{RE_AUTH_ID}}, 1)} AS auth FROM typed2)
)
SELECT parsed.*,
       CASE policy_type
            WHEN 'identity' THEN CASE WHEN deny = 'explicit' THEN 'explicit-deny' ELSE 'missing-action' END
            WHEN 'resource' THEN CASE WHEN deny = 'explicit' THEN 'explicit-deny' ELSE 'resource-policy' END
            WHEN 'scp' THEN 'org-policy'
            WHEN 'rcp' THEN 'org-policy'
            WHEN 'permissions_boundary' THEN 'permissions-boundary'
            WHEN 'session' THEN 'session-or-trust'
            WHEN 'trust' THEN 'session-or-trust'
            WHEN 'vpc_endpoint' THEN 'vpc-endpoint'
            ELSE 'undetailed' END AS cause
FROM parsed;
