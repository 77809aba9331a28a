-- Request rate limits shared by every edge function and every instance of it: one row per bucket (an API key, a
-- signed-in user, a public client), kept by the generic cell rate algorithm (GCRA). A bucket of `limit` requests per
-- `window` admits one request every window / limit, with bursts of up to `limit`; its whole state is one timestamp,
-- the theoretical arrival time of the next request, so one atomic upsert decides each request.
--
-- Unlogged: the state is worth less than the WAL it would write, and a crash only forgets who was close to a limit.

create unlogged table private.rate_limit_buckets (
  bucket text primary key,
  theoretical_arrival timestamptz not null
);
comment on table private.rate_limit_buckets is
  'Request rate limit state per bucket (key:<id>, user:<id>, client:<hash>); a bucket whose time has passed is full and may be forgotten.';
comment on column private.rate_limit_buckets.bucket is 'Who is limited: key:<api key id>, user:<user id> or client:<keyed hash of a public client>.';
comment on column private.rate_limit_buckets.theoretical_arrival is
  'GCRA state: the bucket is full again at this time; each admitted request moves it window / limit later.';

alter table private.rate_limit_buckets enable row level security;
revoke all on private.rate_limit_buckets from public, anon, authenticated;

-- Runs as the functions' own database role, as take_rate_limit.
create function private.rate_limit_refusal(p_bucket text, p_limit integer, p_window_seconds integer)
returns table (reset_seconds integer, retry_after_seconds integer)
language plpgsql stable
set search_path = ''
as $$
declare
  emission interval := pg_catalog.make_interval(secs => p_window_seconds::double precision / p_limit);
  tolerance interval := pg_catalog.make_interval(secs => p_window_seconds);
begin
  return query
  select pg_catalog.ceil(extract(epoch from (b.theoretical_arrival - pg_catalog.now())))::integer,
    greatest(1, pg_catalog.ceil(extract(epoch from (b.theoretical_arrival + emission - tolerance - pg_catalog.now())))::integer)
  from private.rate_limit_buckets as b
  where b.bucket = p_bucket
    and greatest(b.theoretical_arrival, pg_catalog.now()) + emission > pg_catalog.now() + tolerance;
end
$$;
comment on function private.rate_limit_refusal(text, integer, integer) is
  'One row when a request of the bucket would be refused now (GCRA, as take_rate_limit decides), without counting it: the seconds until the bucket is full again and to wait.';

-- Runs as the functions' own database role before any request is served (no caller to check).
create function private.take_rate_limit(p_bucket text, p_limit integer, p_window_seconds integer)
returns table (allowed boolean, remaining integer, reset_seconds integer, retry_after_seconds integer)
language plpgsql
-- strict: no bucket (an unknown key), no row and nothing counted.
strict
set search_path = ''
as $$
declare
  emission interval := pg_catalog.make_interval(secs => p_window_seconds::double precision / p_limit);
  tolerance interval := pg_catalog.make_interval(secs => p_window_seconds);
  arrival timestamptz;
begin
  if p_limit < 1 or p_window_seconds < 1 then
    raise exception 'a rate limit needs a positive limit and window' using errcode = '22023';
  end if;
  insert into private.rate_limit_buckets as b (bucket, theoretical_arrival)
  values (p_bucket, pg_catalog.now() + emission)
  on conflict (bucket) do update
    set theoretical_arrival = greatest(b.theoretical_arrival, pg_catalog.now()) + emission
    where greatest(b.theoretical_arrival, pg_catalog.now()) + emission <= pg_catalog.now() + tolerance
  returning b.theoretical_arrival into arrival;

  -- Buckets whose time has passed hold nothing a new row would not: forget them now and then.
  if pg_catalog.random() < 0.001 then
    delete from private.rate_limit_buckets where theoretical_arrival < pg_catalog.now();
  end if;

  if arrival is not null then
    return query select true,
      -- The slack keeps an emission rounded to microseconds from losing one request.
      pg_catalog.floor(extract(epoch from (pg_catalog.now() + tolerance - arrival)) / extract(epoch from emission) + 0.001)::integer,
      pg_catalog.ceil(extract(epoch from (arrival - pg_catalog.now())))::integer,
      0;
    return;
  end if;
  -- Refused: the conflicting row is locked by the upsert above and unchanged.
  return query select false, 0, r.reset_seconds, r.retry_after_seconds
    from private.rate_limit_refusal(p_bucket, p_limit, p_window_seconds) as r;
end
$$;
comment on function private.take_rate_limit(text, integer, integer) is
  'Admits one request of a bucket limited to p_limit per p_window_seconds (GCRA) or refuses it without counting it; returns the requests left, the seconds until the bucket is full again and, when refused, the seconds to wait.';

revoke all on function private.take_rate_limit(text, integer, integer), private.rate_limit_refusal(text, integer, integer)
  from public, anon, authenticated;
grant execute on function private.take_rate_limit(text, integer, integer), private.rate_limit_refusal(text, integer, integer)
  to service_role;

-- ---------------------------------------------------------------------------------------------------------------
-- Failed key authentication, limited per client

-- Runs as the functions' own database role, as take_rate_limit.
create function private.resolve_api_key(
  p_secret text, p_key_limit integer, p_key_window_seconds integer,
  p_client_bucket text, p_failure_limit integer, p_failure_window_seconds integer
)
returns table (
  claims jsonb, allowed boolean, remaining integer, reset_seconds integer, retry_after_seconds integer,
  too_many_failures boolean
)
language plpgsql
set search_path = ''
as $$
declare
  found_claims jsonb;
begin
  -- A client over its failure limit is refused whatever it sends, so that guessing on past the limit tells nothing.
  return query select null::jsonb, false, 0, r.reset_seconds, r.retry_after_seconds, true
    from private.rate_limit_refusal(p_client_bucket, p_failure_limit, p_failure_window_seconds) as r;
  if found then
    return;
  end if;

  -- Malformed, unknown, expired and deleted keys all take this one path: same answer, same work.
  found_claims := private.apikey_claims(p_secret);
  if found_claims is null then
    return query select null::jsonb, r.allowed, r.remaining, r.reset_seconds, r.retry_after_seconds, not r.allowed
      from private.take_rate_limit(p_client_bucket, p_failure_limit, p_failure_window_seconds) as r;
    return;
  end if;
  return query select found_claims, r.allowed, r.remaining, r.reset_seconds, r.retry_after_seconds, false
    from private.take_rate_limit('key:' || (found_claims ->> 'key_id'), p_key_limit, p_key_window_seconds) as r;
end
$$;
comment on function private.resolve_api_key(text, integer, integer, text, integer, integer) is
  'Resolves an API key to its claims and takes one request of its rate limit; a key that resolves to nothing counts one failure of the client''s bucket instead, and a client over its failure limit is refused before any lookup (too_many_failures).';

revoke all on function private.resolve_api_key(text, integer, integer, text, integer, integer)
  from public, anon, authenticated;
grant execute on function private.resolve_api_key(text, integer, integer, text, integer, integer) to service_role;
