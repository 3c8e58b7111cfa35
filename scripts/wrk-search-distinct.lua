-- wrk script: queries nobody asked before (so the server's result cache cannot answer them):
-- two or three words combined from a vocabulary of 40, in an order that repeats only after
-- 40·39·38 requests.
local words = {
  "铝合金", "热处理", "挤压", "模具", "阳极氧化", "活性氧化铝", "再生铝", "熔铸", "高强", "涂料",
  "粉末涂料", "固化", "碳纤维", "复合材料", "锂电池", "正极材料", "数控机床", "工业机器人", "电机", "液压",
  "可靠性", "疲劳", "轻量化", "压铸", "冲压", "回弹", "热管理", "摩擦材料", "机器视觉", "缺陷检测",
  "焊接", "腐蚀", "表面处理", "时效", "仿真", "传感器", "新能源", "催化剂", "陶瓷", "智能制造",
}
local function encode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local n = #words
local counter = 0
request = function()
  counter = counter + 1
  local i = counter % n + 1
  local j = math.floor(counter / n) % (n - 1) + 1
  if j >= i then j = j + 1 end
  local q = words[i] .. " " .. words[j]
  if counter % 3 == 0 then
    local k = math.floor(counter / (n * (n - 1))) % n + 1
    q = q .. " " .. words[k]
  end
  return wrk.format("GET", "/api/v1/search?q=" .. encode(q))
end
-- The summary line (errors by kind, latency percentiles); run from the repository root.
dofile("scripts/wrk-report.lua")
