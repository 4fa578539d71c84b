-- iamlab denials: classify and parse every event's error in bulk, in DuckDB.
--
-- The SQL twin of iamlab/denials/parse.py: same steps, same patterns. Rendered
-- by iamlab/denials/sql.py, which replaces each {{NAME}} with a SQL string
-- literal of the constant NAME in iamlab/denials/grammar.py (code, never input)
-- and {{TEMP}} with TEMP or nothing.
--
-- Speed: string functions (strpos, split_part(.., -1) = after the last marker)
-- and capture-free regexes (RE2 runs those as a DFA), each behind a cheap
-- CASE guard. Positions below are 0-based like Python's, -1 meaning none.
--
-- error_events: every event with an errorCode or errorMessage, its effective
--               code (given, or pasted inside CLI/SDK text) and is_denial.
-- denials:      the denials among them, with the parsed message fields.

CREATE OR REPLACE {{TEMP}} VIEW error_events AS
WITH src AS (
    SELECT event_id, event_time, principal_arn, event_source, event_name, aws_region,
           account_id, recipient_account_id, error_code, error_message,
           source, source_position,  -- which record, when records share an event id
           CASE WHEN error_message IS NULL THEN ''
                WHEN strlen(error_message) <= {{MAX_MESSAGE}} THEN error_message
                ELSE left(error_message, {{MAX_MESSAGE}}) END AS msg,
           nullif(trim(coalesce(error_code, ''), {{WS_CHARS}}), '') AS code_in
    FROM events
    WHERE error_code IS NOT NULL OR error_message IS NOT NULL
), coded AS (
    SELECT *,
           CASE WHEN code_in IS NOT NULL THEN code_in
                WHEN contains(msg, 'An error occurred (') OR contains(msg, 'Error Code: ')
                THEN coalesce(nullif(regexp_extract(msg, {{RE_WRAPPER_CODE}}, 1), ''),
                              nullif(regexp_extract(msg, {{RE_WRAPPER_CODE}}, 2), ''))
           END AS code
    FROM src
)
SELECT *,
       CASE WHEN code IS NOT NULL AND regexp_full_match(code, {{RE_DENIAL_CODE}}) THEN true
            WHEN code IS NOT NULL AND regexp_full_match(code, {{RE_NOT_DENIAL_CODE}}) THEN false
            ELSE regexp_matches(msg, {{RE_DENIAL_MESSAGE}})
       END AS is_denial
FROM coded;

CREATE OR REPLACE {{TEMP}} VIEW denials AS
WITH split0 AS (
    SELECT *, strpos(msg, {{MARK}}) AS mark1
    FROM error_events
    WHERE is_denial
), split AS (
    -- the older STS form "Not authorized to perform X" when MARK is absent
    SELECT *,
           CASE WHEN mark1 > 0 THEN mark1 ELSE strpos(msg, {{OLD_MARK}}) END AS mark_at,
           CASE WHEN mark1 > 0 THEN length({{MARK}}) ELSE length({{OLD_MARK}}) END AS mark_len
    FROM split0
), act AS (
    SELECT *,
           CASE WHEN mark_at > 0 THEN left(msg, mark_at - 1) ELSE '' END AS head,
           CASE WHEN mark_at > 0 THEN substr(msg, mark_at + mark_len) ELSE '' END AS tail
    FROM split
), act2 AS (
    SELECT *,
           CASE WHEN contains(head, {{USER_MARK}})
                THEN nullif(split_part(head, {{USER_MARK}}, -1), '') END AS principal,
           regexp_extract(tail, {{RE_TOKEN}}) AS atok
    FROM act
), res AS (
    SELECT *, substr(tail, length(atok) + 1) AS rest
    FROM act2
), res2 AS (
    SELECT *,
           mark_at > 0 AND starts_with(rest, {{ON_RESOURCE}}) AS on_res,
           CASE WHEN mark_at > 0 AND starts_with(rest, {{ON_RESOURCE}})
                THEN substr(rest, length({{ON_RESOURCE}}) + 1) END AS rs
    FROM res
), res2b AS (
    SELECT *, CASE WHEN on_res AND starts_with(rs, '"') THEN rs || ' ' END AS rsp
    FROM res2
), res3 AS (
    SELECT *,
           on_res AND starts_with(rs, '"') AS quoted,
           -- quoted: the last '"' followed by a space or '.'; unquoted: the
           -- last context-clause start (0-based positions, -1 = none)
           CASE WHEN on_res AND starts_with(rs, '"') THEN greatest(
                CASE WHEN contains(rsp, {{QUOTE_END_1}}) THEN length(rsp)
                     - length(split_part(rsp, {{QUOTE_END_1}}, -1)) - 2 ELSE -1 END,
                CASE WHEN contains(rsp, {{QUOTE_END_2}}) THEN length(rsp)
                     - length(split_part(rsp, {{QUOTE_END_2}}, -1)) - 2 ELSE -1 END)
           END AS qclose,
           CASE WHEN on_res AND NOT starts_with(rs, '"') THEN greatest(
                CASE WHEN contains(rs, {{CTX_START_1}}) THEN length(rs)
                     - length(split_part(rs, {{CTX_START_1}}, -1)) - length({{CTX_START_1}}) ELSE -1 END,
                CASE WHEN contains(rs, {{CTX_START_2}}) THEN length(rs)
                     - length(split_part(rs, {{CTX_START_2}}, -1)) - length({{CTX_START_2}}) ELSE -1 END)
           END AS cpos
    FROM res2b
), res4 AS (
    SELECT *,
           CASE WHEN on_res AND NOT quoted AND cpos < 0 THEN regexp_extract(rs, {{RE_TOKEN}}) END AS rtok
    FROM res3
), zoned AS (
    SELECT *,
           CASE WHEN NOT on_res THEN NULL
                WHEN quoted THEN CASE WHEN qclose >= 1 THEN nullif(substr(rsp, 2, qclose - 1), '')
                                      ELSE nullif(substr(rs, 2), '') END
                WHEN cpos >= 0 THEN nullif(left(rs, cpos), '')
                ELSE nullif(CASE WHEN ends_with(rtok, '.') AND NOT ends_with(rtok, '..')
                                 THEN left(rtok, length(rtok) - 1) ELSE rtok END, '')
           END AS resource,
           CASE WHEN mark_at = 0 THEN msg
                WHEN NOT on_res THEN
                    CASE WHEN starts_with(rest, {{ON_THIS_RESOURCE}})
                         THEN substr(rest, length({{ON_THIS_RESOURCE}}) + 1)
                         ELSE rest END
                WHEN quoted THEN CASE WHEN qclose >= 1 THEN substr(rsp, qclose + 3) ELSE '' END
                WHEN cpos >= 0 THEN substr(rs, cpos + 2)
                ELSE substr(rs, length(rtok) + 1)
           END AS zone
    FROM res4
), zoned2 AS (
    SELECT *, ' ' || zone AS zs
    FROM zoned
), ctx1 AS (
    SELECT *, greatest(
               CASE WHEN contains(zs, {{CTX_START_1}}) THEN length(zs)
                    - length(split_part(zs, {{CTX_START_1}}, -1)) - length({{CTX_START_1}}) ELSE -1 END,
               CASE WHEN contains(zs, {{CTX_START_2}}) THEN length(zs)
                    - length(split_part(zs, {{CTX_START_2}}, -1)) - length({{CTX_START_2}}) ELSE -1 END
           ) AS zpos
    FROM zoned2
), ctxd AS (
    SELECT *, CASE WHEN zpos >= 0 THEN substr(zs, zpos + 2) ELSE '' END AS ctx
    FROM ctx1
), expl AS (
    SELECT *,
           CASE WHEN starts_with(ctx, {{EXPLICIT_START}} || {{EXPLICIT_IN}})
                THEN substr(ctx, length({{EXPLICIT_START}} || {{EXPLICIT_IN}}) + 1) END AS e1
    FROM ctxd
), expl2 AS (
    SELECT *,
           CASE WHEN starts_with(e1, {{ARTICLE_1}}) THEN substr(e1, length({{ARTICLE_1}}) + 1)
                WHEN starts_with(e1, {{ARTICLE_2}}) THEN substr(e1, length({{ARTICLE_2}}) + 1)
                WHEN starts_with(e1, {{ARTICLE_3}}) THEN substr(e1, length({{ARTICLE_3}}) + 1)
           END AS e2
    FROM expl
), typed AS (
    SELECT *,
           CASE WHEN starts_with(ctx, {{EXPLICIT_START}}) THEN 'explicit'
                WHEN starts_with(ctx, {{IMPLICIT_START}}) THEN 'implicit' END AS deny,
           CASE WHEN starts_with(ctx, {{EXPLICIT_START}}) THEN coalesce(regexp_extract(e2, {{RE_PHRASE}}), '')
                WHEN starts_with(ctx, {{IMPLICIT_START}})
                THEN regexp_extract(substr(ctx, length({{IMPLICIT_START}}) + 1), {{RE_PHRASE}})
                ELSE '' END AS phrase,
           CASE WHEN contains(zone, {{AUTH_ID_MARK}})
                THEN regexp_extract(ltrim(split_part(zone, {{AUTH_ID_MARK}}, -1), {{WS_CHARS}}), {{RE_TOKEN}})
                ELSE '' END AS auth_tok,
           CASE WHEN contains(zone, {{AUTH_URL_MARK}})
                THEN split_part(zone, {{AUTH_URL_MARK}}, -1) ELSE '' END AS url_after,
           CASE WHEN contains(zone, {{ENCODED_MARK}})
                THEN regexp_extract(ltrim(split_part(zone, {{ENCODED_MARK}}, -1), {{WS_CHARS}}), {{RE_TOKEN}})
                ELSE '' END AS enc_tok
    FROM expl2
), typed2 AS (
    SELECT *,
           CASE WHEN starts_with(ctx, {{EXPLICIT_START}}) AND phrase <> ''
                THEN substr(e2, length(phrase) + 1) ELSE '' END AS after_phrase,
           regexp_extract(url_after, {{RE_TOKEN}}) AS url_tok,
           {{POLICY_TYPE_CASE}} AS phrase_type,
           code = 'VpceAccessDenied' OR contains(zone, {{VPCE_SENTENCE}}) AS vpce,
           {{TRUST_MATCH}} AS trust_phrase
    FROM typed
), typed2b AS (
    SELECT *,
           coalesce(phrase_type,
                    CASE WHEN vpce THEN 'vpc_endpoint' END,
                    CASE WHEN trust_phrase THEN 'trust' END) AS policy_type,
           -- a service could not assume a role: "Role with arn: <ARN>, ..."
           phrase_type IS NULL AND NOT coalesce(vpce, false) AND trust_phrase
               AND contains(zone, {{ROLE_ARN_MARK}}) AS role_named
    FROM typed2
), typed3 AS (
    SELECT *,
           CASE WHEN starts_with(after_phrase, ':') AND length(after_phrase) > 1
                     AND contains({{WS_CHARS}}, substr(after_phrase, 2, 1))
                THEN regexp_extract(ltrim(substr(after_phrase, 2), {{WS_CHARS}}), {{RE_TOKEN}})
                ELSE '' END AS arn
    FROM typed2b
), parsed AS MATERIALIZED (
    -- MATERIALIZED: a barrier for filter pushdown. Without it a filter on cause
    -- is rewritten through every step above and takes DuckDB seconds to plan.
    SELECT event_id, event_time, principal_arn, event_source, event_name, aws_region,
           account_id, recipient_account_id, error_code, error_message,
           source, source_position,
           is_denial,
           principal,
           nullif(nullif(CASE WHEN mark_at = 0 THEN ''
                       WHEN ends_with(atok, '.') AND NOT ends_with(atok, '..')
                       THEN left(atok, length(atok) - 1) ELSE atok END, ''),
                  {{NULL_ACTION}}) AS action,
           coalesce(resource,
                    CASE WHEN role_named
                         THEN nullif(regexp_extract(split_part(zone, {{ROLE_ARN_MARK}}, -1),
                                                    {{RE_ROLE_TOKEN}}), '') END) AS resource,
           policy_type,
           deny,
           nullif(CASE WHEN ends_with(arn, '.') AND NOT ends_with(arn, '..')
                       THEN left(arn, length(arn) - 1) ELSE arn END, '') AS policy_arn,
           coalesce(
               nullif(CASE WHEN ends_with(auth_tok, '.') AND NOT ends_with(auth_tok, '..')
                           THEN left(auth_tok, length(auth_tok) - 1) ELSE auth_tok END, ''),
               CASE WHEN starts_with(substr(url_after, length(url_tok) + 1), {{AUTH_URL_END}})
                    THEN nullif(url_tok, '') END) AS authorization_id,
           nullif(enc_tok, '') AS encoded_message
    FROM typed3
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
