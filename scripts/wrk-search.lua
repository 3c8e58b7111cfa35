-- wrk script: rotates through typical Chinese queries against /api/v1/search.
local queries = {
  "铝合金热处理", "挤压模具", "阳极氧化", "活性氧化铝", "再生铝 熔铸", "高强铝合金",
  "水性涂料", "粉末涂料 低温固化", "碳纤维复合材料", "锂电池 正极材料", "数控机床", "工业机器人",
  "永磁同步电机", "液压系统 可靠性", "疲劳寿命", "汽车轻量化", "一体化压铸", "冲压 回弹",
  "电池包 热管理", "刹车片 摩擦材料", "机器视觉 缺陷检测", "北科大 挤压", "6061-T6 时效", "涂装",
}
local function encode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local paths = {}
for i, q in ipairs(queries) do paths[i] = "/api/v1/search?q=" .. encode(q) end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
-- The summary line (errors by kind, latency percentiles); run from the repository root.
dofile("scripts/wrk-report.lua")
