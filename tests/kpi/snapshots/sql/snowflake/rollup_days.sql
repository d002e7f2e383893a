SELECT TO_DATE(DATEADD(second, 7200, t.sold_at)) AS day, CAST(j_product.name AS TEXT) AS d0, CAST(j_product.category AS TEXT) AS d1, CAST(j_customer.channel AS TEXT) AS d2, CAST(sum(CASE WHEN (abs(t.amount) < 1000000000000000) THEN t.amount END) AS DOUBLE) AS value
FROM sales AS t LEFT OUTER JOIN products AS j_product ON t.product_id = j_product.id LEFT OUTER JOIN customers AS j_customer ON t.customer_id = j_customer.id
WHERE t.sold_at >= %(sold_at_1)s AND t.sold_at < %(sold_at_2)s GROUP BY TO_DATE(DATEADD(second, 7200, t.sold_at)), CAST(j_product.name AS TEXT), CAST(j_product.category AS TEXT), CAST(j_customer.channel AS TEXT)
-- sold_at_1 = datetime.datetime(2026, 10, 19, 22, 0)
-- sold_at_2 = datetime.datetime(2026, 10, 25, 1, 0)

SELECT TO_DATE(DATEADD(second, 3600, t.sold_at)) AS day, CAST(j_product.name AS TEXT) AS d0, CAST(j_product.category AS TEXT) AS d1, CAST(j_customer.channel AS TEXT) AS d2, CAST(sum(CASE WHEN (abs(t.amount) < 1000000000000000) THEN t.amount END) AS DOUBLE) AS value
FROM sales AS t LEFT OUTER JOIN products AS j_product ON t.product_id = j_product.id LEFT OUTER JOIN customers AS j_customer ON t.customer_id = j_customer.id
WHERE t.sold_at >= %(sold_at_1)s AND t.sold_at < %(sold_at_2)s GROUP BY TO_DATE(DATEADD(second, 3600, t.sold_at)), CAST(j_product.name AS TEXT), CAST(j_product.category AS TEXT), CAST(j_customer.channel AS TEXT)
-- sold_at_1 = datetime.datetime(2026, 10, 25, 1, 0)
-- sold_at_2 = datetime.datetime(2026, 10, 29, 23, 0)
