SELECT 0 AS measure, 0 AS window, CAST(NULL AS TEXT) AS key, CAST(sum(CASE WHEN (abs(t.amount - t.cost) < %(abs_1)s) THEN t.amount - t.cost END) AS DOUBLE) AS value
FROM sales AS t LEFT OUTER JOIN customers AS j_customer ON t.customer_id = j_customer.id
WHERE t.sold_at < %(sold_at_1)s AND j_customer.acquired_at < %(acquired_at_1)s UNION ALL SELECT 1 AS measure, 0 AS window, CAST(NULL AS TEXT) AS key, CAST(count(*) AS DOUBLE) AS value
FROM customers AS t
WHERE t.acquired_at < %(acquired_at_2)s
-- abs_1 = 1000000000000000.0
-- acquired_at_1 = datetime.datetime(2026, 11, 1, 0, 0)
-- acquired_at_2 = datetime.datetime(2026, 11, 1, 0, 0)
-- sold_at_1 = datetime.datetime(2026, 11, 1, 0, 0)

SELECT 0 AS measure, 0 AS window, CAST(NULL AS TEXT) AS key, CAST(sum(CASE WHEN (abs(t.amount - t.cost) < %(abs_1)s) THEN t.amount - t.cost END) AS DOUBLE) AS value
FROM sales AS t LEFT OUTER JOIN customers AS j_customer ON t.customer_id = j_customer.id
WHERE t.sold_at >= %(sold_at_1)s AND t.sold_at < %(sold_at_2)s AND j_customer.acquired_at < %(acquired_at_1)s UNION ALL SELECT 0 AS measure, 0 AS window, CAST(NULL AS TEXT) AS key, CAST(sum(CASE WHEN (abs(t.amount - t.cost) < %(abs_2)s) THEN t.amount - t.cost END) AS DOUBLE) AS value
FROM sales AS t LEFT OUTER JOIN customers AS j_customer ON t.customer_id = j_customer.id
WHERE j_customer.acquired_at >= %(acquired_at_2)s AND j_customer.acquired_at < %(acquired_at_3)s AND t.sold_at < %(sold_at_3)s
-- abs_1 = 1000000000000000.0
-- abs_2 = 1000000000000000.0
-- acquired_at_1 = datetime.datetime(2026, 11, 1, 0, 0)
-- acquired_at_2 = datetime.datetime(2026, 10, 29, 0, 0)
-- acquired_at_3 = datetime.datetime(2026, 11, 1, 0, 0)
-- sold_at_1 = datetime.datetime(2026, 10, 29, 0, 0)
-- sold_at_2 = datetime.datetime(2026, 11, 1, 0, 0)
-- sold_at_3 = datetime.datetime(2026, 10, 29, 0, 0)
