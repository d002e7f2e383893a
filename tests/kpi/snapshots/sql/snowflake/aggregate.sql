SELECT 0 AS measure, 0 AS window, CAST(j_product.category AS TEXT) AS key, CAST(sum(CASE WHEN (abs(t.amount) < 1000000000000000) THEN t.amount END) AS DOUBLE) AS value
FROM sales AS t LEFT OUTER JOIN products AS j_product ON t.product_id = j_product.id
WHERE t.sold_at >= %(b0_start_utc)s AND t.sold_at < %(b0_end_utc)s GROUP BY CAST(j_product.category AS TEXT) UNION ALL SELECT 0 AS measure, 1 AS window, CAST(j_product.category AS TEXT) AS key, CAST(sum(CASE WHEN (abs(t.amount) < 1000000000000000) THEN t.amount END) AS DOUBLE) AS value
FROM sales AS t LEFT OUTER JOIN products AS j_product ON t.product_id = j_product.id
WHERE t.sold_at >= %(b1_start_utc)s AND t.sold_at < %(b1_end_utc)s GROUP BY CAST(j_product.category AS TEXT)
-- b0_end_utc = datetime.datetime(2026, 11, 25, 10, 30)
-- b0_start_utc = datetime.datetime(2026, 10, 31, 23, 0)
-- b1_end_utc = datetime.datetime(2026, 10, 25, 10, 30)
-- b1_start_utc = datetime.datetime(2026, 9, 30, 22, 0)

SELECT 0 AS measure, 0 AS window, CAST(NULL AS TEXT) AS key, (SELECT CAST(sum(CASE WHEN (abs(t.amount) < 1000000000000000) THEN t.amount END) AS DOUBLE) AS sum_1
FROM spend AS t
WHERE t.day >= %(b0_first_day)s AND t.day < %(b0_end_day)s AND t.kind IN (__[POSTCOMPILE_kind_1])) AS value UNION ALL SELECT 0 AS measure, 1 AS window, CAST(NULL AS TEXT) AS key, (SELECT CAST(sum(CASE WHEN (abs(t.amount) < 1000000000000000) THEN t.amount END) AS DOUBLE) AS sum_2
FROM spend AS t
WHERE t.day >= %(b1_first_day)s AND t.day < %(b1_end_day)s AND t.kind IN (__[POSTCOMPILE_kind_2])) AS value UNION ALL SELECT 1 AS measure, 0 AS window, CAST(NULL AS TEXT) AS key, (SELECT CAST(count(*) AS DOUBLE) AS count_1
FROM customers AS t
WHERE t.acquired_at >= %(b2_start_utc)s AND t.acquired_at < %(b2_end_utc)s) AS value UNION ALL SELECT 1 AS measure, 1 AS window, CAST(NULL AS TEXT) AS key, (SELECT CAST(count(*) AS DOUBLE) AS count_2
FROM customers AS t
WHERE t.acquired_at >= %(b3_start_utc)s AND t.acquired_at < %(b3_end_utc)s) AS value
-- b0_end_day = datetime.date(2026, 11, 26)
-- b0_first_day = datetime.date(2026, 11, 1)
-- b1_end_day = datetime.date(2026, 10, 26)
-- b1_first_day = datetime.date(2026, 10, 1)
-- b2_end_utc = datetime.datetime(2026, 11, 25, 10, 30)
-- b2_start_utc = datetime.datetime(2026, 10, 31, 23, 0)
-- b3_end_utc = datetime.datetime(2026, 10, 25, 10, 30)
-- b3_start_utc = datetime.datetime(2026, 9, 30, 22, 0)
-- kind_1 = ['marketing', 'sales']
-- kind_2 = ['marketing', 'sales']
