SELECT 0 AS `measure`, 0 AS `window`, CAST(NULL AS STRING) AS `key`, (SELECT CAST(sum(CASE WHEN (abs(`t`.`amount` - `t`.`cost`) < 1000000000000000) THEN `t`.`amount` - `t`.`cost` END) AS FLOAT64) AS `sum_1`
FROM `sales` AS `t` LEFT OUTER JOIN `customers` AS `j_customer` ON `t`.`customer_id` = `j_customer`.`id`
WHERE `t`.`sold_at` < :b0_end_utc AND `j_customer`.`acquired_at` < :b0_end_utc) AS `value` UNION ALL SELECT 1 AS `measure`, 0 AS `window`, CAST(NULL AS STRING) AS `key`, (SELECT CAST(count(*) AS FLOAT64) AS `count_1`
FROM `customers` AS `t`
WHERE `t`.`acquired_at` < :b1_end_utc) AS `value`
-- b0_end_utc = datetime.datetime(2026, 11, 1, 0, 0)
-- b1_end_utc = datetime.datetime(2026, 11, 1, 0, 0)

SELECT 0 AS `measure`, 0 AS `window`, CAST(NULL AS STRING) AS `key`, (SELECT CAST(sum(CASE WHEN (abs(`t`.`amount` - `t`.`cost`) < 1000000000000000) THEN `t`.`amount` - `t`.`cost` END) AS FLOAT64) AS `sum_1`
FROM `sales` AS `t` LEFT OUTER JOIN `customers` AS `j_customer` ON `t`.`customer_id` = `j_customer`.`id`
WHERE `t`.`sold_at` >= :b0_cumulative_from AND `t`.`sold_at` < :b0_end_utc AND `j_customer`.`acquired_at` < :b0_end_utc) AS `value` UNION ALL SELECT 0 AS `measure`, 0 AS `window`, CAST(NULL AS STRING) AS `key`, (SELECT CAST(sum(CASE WHEN (abs(`t`.`amount` - `t`.`cost`) < 1000000000000000) THEN `t`.`amount` - `t`.`cost` END) AS FLOAT64) AS `sum_2`
FROM `sales` AS `t` LEFT OUTER JOIN `customers` AS `j_customer` ON `t`.`customer_id` = `j_customer`.`id`
WHERE `j_customer`.`acquired_at` >= :b0_cumulative_from AND `j_customer`.`acquired_at` < :b0_end_utc AND `t`.`sold_at` < :b0_cumulative_from) AS `value`
-- b0_cumulative_from = datetime.datetime(2026, 10, 29, 0, 0)
-- b0_end_utc = datetime.datetime(2026, 11, 1, 0, 0)
