SELECT DATE(DATETIME_ADD(`t`.`sold_at`, INTERVAL 7200 SECOND)) AS `day`, CAST(`j_product`.`name` AS STRING) AS `d0`, CAST(`j_product`.`category` AS STRING) AS `d1`, CAST(`j_customer`.`channel` AS STRING) AS `d2`, CAST(sum(CASE WHEN (abs(`t`.`amount`) < 1000000000000000) THEN `t`.`amount` END) AS FLOAT64) AS `value`
FROM `sales` AS `t` LEFT OUTER JOIN `products` AS `j_product` ON `t`.`product_id` = `j_product`.`id` LEFT OUTER JOIN `customers` AS `j_customer` ON `t`.`customer_id` = `j_customer`.`id`
WHERE `t`.`sold_at` >= :sold_at_1 AND `t`.`sold_at` < :sold_at_2 GROUP BY `day`, `d0`, `d1`, `d2`
-- sold_at_1 = datetime.datetime(2026, 10, 19, 22, 0)
-- sold_at_2 = datetime.datetime(2026, 10, 25, 1, 0)

SELECT DATE(DATETIME_ADD(`t`.`sold_at`, INTERVAL 3600 SECOND)) AS `day`, CAST(`j_product`.`name` AS STRING) AS `d0`, CAST(`j_product`.`category` AS STRING) AS `d1`, CAST(`j_customer`.`channel` AS STRING) AS `d2`, CAST(sum(CASE WHEN (abs(`t`.`amount`) < 1000000000000000) THEN `t`.`amount` END) AS FLOAT64) AS `value`
FROM `sales` AS `t` LEFT OUTER JOIN `products` AS `j_product` ON `t`.`product_id` = `j_product`.`id` LEFT OUTER JOIN `customers` AS `j_customer` ON `t`.`customer_id` = `j_customer`.`id`
WHERE `t`.`sold_at` >= :sold_at_1 AND `t`.`sold_at` < :sold_at_2 GROUP BY `day`, `d0`, `d1`, `d2`
-- sold_at_1 = datetime.datetime(2026, 10, 25, 1, 0)
-- sold_at_2 = datetime.datetime(2026, 10, 29, 23, 0)
