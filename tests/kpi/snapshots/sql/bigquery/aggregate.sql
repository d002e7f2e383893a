SELECT 0 AS `measure`, 0 AS `window`, CAST(`j_product`.`category` AS STRING) AS `key`, CAST(sum(CASE WHEN (abs(`t`.`amount`) < :abs_1) THEN `t`.`amount` END) AS FLOAT64) AS `value`
FROM `sales` AS `t` LEFT OUTER JOIN `products` AS `j_product` ON `t`.`product_id` = `j_product`.`id`
WHERE `t`.`sold_at` >= :sold_at_1 AND `t`.`sold_at` < :sold_at_2 GROUP BY CAST(`j_product`.`category` AS STRING) UNION ALL SELECT 0 AS `measure`, 1 AS `window`, CAST(`j_product`.`category` AS STRING) AS `key`, CAST(sum(CASE WHEN (abs(`t`.`amount`) < :abs_2) THEN `t`.`amount` END) AS FLOAT64) AS `value`
FROM `sales` AS `t` LEFT OUTER JOIN `products` AS `j_product` ON `t`.`product_id` = `j_product`.`id`
WHERE `t`.`sold_at` >= :sold_at_3 AND `t`.`sold_at` < :sold_at_4 GROUP BY CAST(`j_product`.`category` AS STRING)
-- abs_1 = 1000000000000000.0
-- abs_2 = 1000000000000000.0
-- sold_at_1 = datetime.datetime(2026, 10, 31, 23, 0)
-- sold_at_2 = datetime.datetime(2026, 11, 25, 10, 30)
-- sold_at_3 = datetime.datetime(2026, 9, 30, 22, 0)
-- sold_at_4 = datetime.datetime(2026, 10, 25, 10, 30)

SELECT 0 AS `measure`, 0 AS `window`, CAST(NULL AS STRING) AS `key`, CAST(sum(CASE WHEN (abs(`t`.`amount`) < :abs_1) THEN `t`.`amount` END) AS FLOAT64) AS `value`
FROM `spend` AS `t`
WHERE `t`.`day` >= :day_1 AND `t`.`day` < :day_2 AND `t`.`kind` IN UNNEST(:kind_1) UNION ALL SELECT 0 AS `measure`, 1 AS `window`, CAST(NULL AS STRING) AS `key`, CAST(sum(CASE WHEN (abs(`t`.`amount`) < :abs_2) THEN `t`.`amount` END) AS FLOAT64) AS `value`
FROM `spend` AS `t`
WHERE `t`.`day` >= :day_3 AND `t`.`day` < :day_4 AND `t`.`kind` IN UNNEST(:kind_2) UNION ALL SELECT 1 AS `measure`, 0 AS `window`, CAST(NULL AS STRING) AS `key`, CAST(count(*) AS FLOAT64) AS `value`
FROM `customers` AS `t`
WHERE `t`.`acquired_at` >= :acquired_at_1 AND `t`.`acquired_at` < :acquired_at_2 UNION ALL SELECT 1 AS `measure`, 1 AS `window`, CAST(NULL AS STRING) AS `key`, CAST(count(*) AS FLOAT64) AS `value`
FROM `customers` AS `t`
WHERE `t`.`acquired_at` >= :acquired_at_3 AND `t`.`acquired_at` < :acquired_at_4
-- abs_1 = 1000000000000000.0
-- abs_2 = 1000000000000000.0
-- acquired_at_1 = datetime.datetime(2026, 10, 31, 23, 0)
-- acquired_at_2 = datetime.datetime(2026, 11, 25, 10, 30)
-- acquired_at_3 = datetime.datetime(2026, 9, 30, 22, 0)
-- acquired_at_4 = datetime.datetime(2026, 10, 25, 10, 30)
-- day_1 = datetime.date(2026, 11, 1)
-- day_2 = datetime.date(2026, 11, 26)
-- day_3 = datetime.date(2026, 10, 1)
-- day_4 = datetime.date(2026, 10, 26)
-- kind_1 = ['marketing', 'sales']
-- kind_2 = ['marketing', 'sales']
