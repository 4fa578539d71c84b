SELECT eventid, eventtime, eventversion, eventsource, eventname, awsregion, sourceipaddress, useragent,
       errorcode, errormessage, eventtype, eventcategory, recipientaccountid, eventjson
FROM 3f1c9a2e-7b4d-4e8a-9c61-5d2f0b7a8e43
WHERE errorcode IS NOT NULL
  AND eventtime >= '2026-03-09 00:00:00' AND eventtime < '2026-03-13 00:00:00'
ORDER BY eventtime, eventid
